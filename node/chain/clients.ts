// viem clients for the chain the tracker names in GET /api/chain (rpcUrl overridable, and
// needed when the tracker publishes no public RPC URL).

import { createPublicClient, createWalletClient, defineChain, http, type Account, type PublicClient, type WalletClient, type Transport, type Chain } from "viem";
import type { ChainInfo } from "../api.ts";
import { CliError } from "../errors.ts";

export interface ChainClients {
  info: ChainInfo & { rpcUrl: string };
  publicClient: PublicClient<Transport, Chain>;
  walletClient?: WalletClient<Transport, Chain, Account>;
}

export function chainClients(info: ChainInfo, account?: Account, rpcUrlOverride?: string): ChainClients {
  const rpcUrl = rpcUrlOverride ?? info.rpcUrl;
  // The tracker publishes only an RPC URL its operator made public (PUBLIC_RPC_URL), maybe none.
  if (!rpcUrl) throw new CliError("the tracker publishes no public RPC URL: pass --rpc URL or set rpcUrl in config.json");
  const chain = defineChain({
    id: info.chainId,
    name: `vidya-${info.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport });
  const walletClient = account ? createWalletClient({ account, chain, transport }) : undefined;
  return { info: { ...info, rpcUrl }, publicClient, walletClient };
}
