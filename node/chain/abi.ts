// The few contract functions the CLI calls, as viem ABI fragments, matching
// contracts/src/EpochRewards.sol and Staking.sol (errors included so reverts read well).
// TODO: import from contracts/abi.ts once the generated ABIs land.

import { erc20Abi } from "viem";

export { erc20Abi };

export const epochRewardsAbi = [
  {
    type: "function",
    name: "claim",
    stateMutability: "nonpayable",
    inputs: [
      { name: "epoch", type: "uint64" },
      { name: "account", type: "address" },
      { name: "cumulative", type: "uint256" },
      { name: "proof", type: "bytes32[]" },
    ],
    outputs: [{ name: "amount", type: "uint256" }],
  },
  { type: "function", name: "claimedOf", stateMutability: "view", inputs: [{ name: "account", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "lastEpoch", stateMutability: "view", inputs: [], outputs: [{ type: "uint64" }] },
  { type: "function", name: "isFinal", stateMutability: "view", inputs: [{ name: "epoch", type: "uint64" }], outputs: [{ type: "bool" }] },
  {
    type: "function",
    name: "rootOf",
    stateMutability: "view",
    inputs: [{ name: "epoch", type: "uint64" }],
    outputs: [
      {
        type: "tuple",
        components: [
          { name: "earnedRoot", type: "bytes32" },
          { name: "inputsHash", type: "bytes32" },
          { name: "totalEarned", type: "uint256" },
          { name: "postedAt", type: "uint64" },
          { name: "disabled", type: "bool" },
        ],
      },
    ],
  },
  { type: "function", name: "disputeDelay", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
  { type: "error", name: "UnknownEpoch", inputs: [{ name: "epoch", type: "uint64" }] },
  { type: "error", name: "DisabledRoot", inputs: [{ name: "epoch", type: "uint64" }] },
  { type: "error", name: "RootNotFinal", inputs: [{ name: "epoch", type: "uint64" }, { name: "activatesAt", type: "uint256" }] },
  { type: "error", name: "InvalidProof", inputs: [] },
  {
    type: "error",
    name: "NothingToClaim",
    inputs: [
      { name: "account", type: "address" },
      { name: "cumulative", type: "uint256" },
      { name: "claimed", type: "uint256" },
    ],
  },
] as const;

export const stakingAbi = [
  { type: "function", name: "stake", stateMutability: "nonpayable", inputs: [{ name: "amount", type: "uint256" }], outputs: [] },
  { type: "function", name: "stakeOf", stateMutability: "view", inputs: [{ name: "account", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "token", stateMutability: "view", inputs: [], outputs: [{ type: "address" }] },
  { type: "error", name: "ZeroAmount", inputs: [] },
  { type: "error", name: "InsufficientStake", inputs: [{ name: "requested", type: "uint256" }, { name: "available", type: "uint256" }] },
] as const;
