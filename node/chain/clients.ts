// viem clients for the chain the tracker names in GET /api/chain (rpcUrl overridable).

import { createPublicClient, createWalletClient, defineChain, http, type Account, type PublicClient, type WalletClient, type Transport, type Chain } from "viem";
import type { ChainInfo } from "../api.ts";

export interface ChainClients {
  info: ChainInfo;
  publicClient: PublicClient<Transport, Chain>;
  walletClient?: WalletClient<Transport, Chain, Account>;
}

export function chainClients(info: ChainInfo, account?: Account, rpcUrlOverride?: string): ChainClients {
  const rpcUrl = rpcUrlOverride ?? info.rpcUrl;
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
