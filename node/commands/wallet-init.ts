// vidya wallet init / vidya wallet address: a wallet for a member (nodes get one from node init).

import { ensureHome } from "../config.ts";
import { CliError } from "../errors.ts";
import { nearest } from "../suggest.ts";
import { createWallet, loadWallet } from "../wallet.ts";
import type { Ctx } from "./context.ts";

export async function wallet(ctx: Ctx, argv: string[]): Promise<void> {
  const sub = argv[0];
  if (sub === "init") {
    await ensureHome(ctx.home);
    const account = await createWallet(ctx.home);
    ctx.say(`created wallet ${account.address} in ${ctx.home.wallet}`);
    ctx.result({ address: account.address, home: ctx.home.dir });
  } else if (sub === "address") {
    const account = await loadWallet(ctx.home);
    ctx.say(account.address);
    ctx.result({ address: account.address });
  } else {
    const near = sub ? nearest(sub, ["init", "address"]) : undefined;
    throw new CliError(`unknown wallet command "${sub ?? ""}": ${near ? `did you mean "vidya wallet ${near}"?` : `use "vidya wallet init" or "vidya wallet address"`}`, 2);
  }
}
