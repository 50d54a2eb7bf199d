// `vidya node status` prices a node's figures in ETH at the VIDYA/WETH pool's time-weighted
// average price, on the real network (anvil with Uniswap's own contracts, the worker in workerd).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { LocalNetwork } from "../../scripts/network/network.ts";
import { ROOT } from "../../scripts/network/chain.ts";
import { INITIAL_PRICE_WEI_PER_VIDYA } from "../../protocol/params.ts";

describe("vidya node status with the token's market", () => {
  let net: LocalNetwork;
  const runDir = join(ROOT, ".vidya", `e2e-price-${process.pid}`);

  beforeAll(async () => {
    net = await LocalNetwork.start({ dir: runDir, datasetDir: join(ROOT, ".vidya", "dataset"), nodes: [] });
  });

  afterAll(async () => {
    await net?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("shows the price of VIDYA in ETH from the pool's TWAP (Uniswap's oracle, not the spot price), in VIDYA with decimals", async () => {
    const home = join(runDir, "operator");
    await net.cli(home, ["node", "init", "--tracker", net.trackerUrl, "--port", "0"]);
    const st = JSON.parse(await net.cli(home, ["--json", "node", "status"])) as { price: { weiPerVidya: string; secondsAgo: number } | null; errors: Record<string, string> };
    expect(st.errors.price).toBeUndefined();
    // The pool opened at INITIAL_PRICE_WEI_PER_VIDYA and nobody traded: the average is that price (within a tick, 0.01%).
    const price = BigInt(st.price!.weiPerVidya);
    expect(price > (INITIAL_PRICE_WEI_PER_VIDYA * 9_998n) / 10_000n && price < (INITIAL_PRICE_WEI_PER_VIDYA * 10_002n) / 10_000n).toBe(true);
    expect(st.price!.secondsAgo).toBeGreaterThan(0);
    const human = await net.cli(home, ["node", "status"]);
    expect(human).toMatch(/^price +0\.000(09999[0-9]|100[0-9]{2}) ETH per VIDYA \(the Uniswap pool's \d+-minute average, not its spot price\)$/m);
    expect(human).not.toMatch(/[0-9]{15,} ?(VIDYA|wei)/);
  });
});
