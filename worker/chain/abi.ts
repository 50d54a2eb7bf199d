// The contract ABIs the worker calls, generated from contracts/src into contracts/abi.ts by
// scripts/gen-abi.ts (errors included, so reverts decode to their names).

export { epochRewardsAbi, stakingAbi, escrowAbi, hostingBountiesAbi } from "../../contracts/abi.ts";
