// Sends a contract call through the wallet and shows it until it is mined: the hash as soon
// as the wallet returns it, then the block, or the revert.

import { encodeFunctionData, type Abi, type Address, type Hex } from "viem";
import { connect, ensureChain, provider, rpc } from "./wallet.ts";
import { describe, say } from "./status.ts";

export interface Call {
  chainId: number;
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  /** What the status line calls it: "Claim", "Stake"… */
  label: string;
  /** ETH sent with the call (wei): a swap's input. */
  value?: bigint;
}

interface Receipt {
  status: Hex;
  blockNumber: Hex;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `last`: false for a step that others follow (an approval), so its success does not read as done. */
export async function sendAndWatch(call: Call, status: HTMLElement | null, last = true): Promise<boolean> {
  try {
    const from = await connect();
    await ensureChain(call.chainId);
    const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never);
    say(status, `${call.label}: confirm in your wallet…`);
    const hash = (await provider().request({ method: "eth_sendTransaction", params: [{ from, to: call.address, data, ...(call.value ? { value: `0x${call.value.toString(16)}` as Hex } : {}) }] })) as Hex;
    if (status) status.dataset.tx = hash;
    say(status, `${call.label}: sent ${hash}, waiting to be mined…`);
    for (;;) {
      const receipt = await rpc<Receipt | null>("eth_getTransactionReceipt", [hash]);
      if (receipt) {
        const block = Number(receipt.blockNumber);
        if (Number(receipt.status) !== 1) {
          say(status, `${call.label}: reverted in block ${block} (${hash}).`, "error");
          return false;
        }
        say(status, `${call.label}: mined in block ${block} (${hash}).`, last ? "ok" : "busy");
        return true;
      }
      await sleep(1_000);
    }
  } catch (e) {
    say(status, `${call.label}: ${describe(e)}`, "error");
    return false;
  }
}
