// The few contract functions the worker calls. Temporary: the contracts engineer generates
// contracts/abi.ts from the compiled contracts, and these imports will switch to it.

export const stakingAbi = [
  {
    type: "function",
    name: "stakeOf",
    stateMutability: "view",
    inputs: [{ name: "account", type: "address" }],
    outputs: [{ name: "", type: "uint256" }],
  },
] as const;

export const epochRewardsAbi = [
  {
    type: "function",
    name: "postRoot",
    stateMutability: "nonpayable",
    inputs: [
      { name: "epoch", type: "uint64" },
      { name: "earnedRoot", type: "bytes32" },
      { name: "inputsHash", type: "bytes32" },
      { name: "totalEarned", type: "uint256" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "lastEpoch",
    stateMutability: "view",
    inputs: [],
    outputs: [{ name: "", type: "uint64" }],
  },
] as const;
