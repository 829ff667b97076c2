/**
 * The firewall of a virtual network in nftables, after newer libvirt's nftables backend
 * (its own `table ip libvirt_network`): here one `table inet tsvirt` shared by all networks,
 * each network owning base chains named after its bridge, so a network's rules are added
 * and removed as a whole without touching other networks or anybody else's tables.
 * The ruleset text is pure; applying it runs `nft -f -` through a CommandRunner.
 */
import type { CommandRunner } from './command.js';

export const NFT_TABLE = 'tsvirt';

export type ForwardMode = 'nat' | 'route' | 'open' | 'isolated';

export interface FirewallNetwork {
  bridge: string;
  mode: ForwardMode;
  /** IPv4 subnets of the network as `A.B.C.D/N`. */
  ipv4Subnets: readonly string[];
  /** IPv6 subnets: routed in both `nat` and `route` modes, since libvirt never NATs IPv6. */
  ipv6Subnets?: readonly string[];
  /** <forward dev='...'/>: traffic may only leave through this device. */
  forwardDev?: string;
  /** <forward><nat>: source addresses to SNAT to (else masquerade) and the port range (default 1024-65535). */
  nat?: { addressStart?: string; addressEnd?: string; portStart?: number; portEnd?: number };
  /** Open DHCP/DNS to the host from the bridge (libvirt does when the network has an IP). */
  dhcpDns?: boolean;
}

export function networkChainNames(bridge: string): { input: string; forward: string; postrouting: string } {
  return { input: `${bridge}_input`, forward: `${bridge}_forward`, postrouting: `${bridge}_postrouting` };
}

const q = (name: string): string => JSON.stringify(name);

function forwardRules(net: FirewallNetwork): string[] {
  const br = q(net.bridge);
  const fromOut = net.forwardDev !== undefined ? `iifname ${q(net.forwardDev)} ` : '';
  const toOut = net.forwardDev !== undefined ? ` oifname ${q(net.forwardDev)}` : '';
  const rules: string[] = [];
  for (const subnet of net.ipv4Subnets) {
    if (net.mode === 'nat') {
      // Only replies come in: the guests are hidden behind the host's address.
      rules.push(`${fromOut}oifname ${br} ip daddr ${subnet} ct state related,established accept`);
      rules.push(`iifname ${br}${toOut} ip saddr ${subnet} accept`);
    } else if (net.mode === 'route') {
      rules.push(`${fromOut}oifname ${br} ip daddr ${subnet} accept`);
      rules.push(`iifname ${br}${toOut} ip saddr ${subnet} accept`);
    }
  }
  if (net.mode === 'nat' || net.mode === 'route') {
    for (const subnet of net.ipv6Subnets ?? []) {
      rules.push(`${fromOut}oifname ${br} ip6 daddr ${subnet} accept`);
      rules.push(`iifname ${br}${toOut} ip6 saddr ${subnet} accept`);
    }
  }
  // Guests on the same bridge always talk to each other (matters with br_netfilter).
  rules.push(`iifname ${br} oifname ${br} accept`);
  rules.push(`iifname ${br} reject`, `oifname ${br} reject`);
  return rules;
}

function postroutingRules(net: FirewallNetwork): string[] {
  const out = net.forwardDev !== undefined ? ` oifname ${q(net.forwardDev)}` : '';
  const nat = net.nat ?? {};
  const ports = `${nat.portStart ?? 1024}-${nat.portEnd ?? 65535}`;
  const start = nat.addressStart;
  const addresses =
    start === undefined ? undefined : nat.addressEnd !== undefined ? `${start}-${nat.addressEnd}` : start;
  // As libvirt: masquerade, or SNAT to the <nat><address> range when one is given.
  const translate = (withPorts: boolean): string =>
    addresses === undefined
      ? `masquerade${withPorts ? ` to :${ports}` : ''}`
      : `snat ip to ${addresses}${withPorts ? `:${ports}` : ''}`;
  const rules: string[] = [];
  for (const s of net.ipv4Subnets) {
    // Multicast and broadcast are never rewritten; ports of tcp/udp kept unprivileged.
    rules.push(`ip saddr ${s} ip daddr 224.0.0.0/24 return`);
    rules.push(`ip saddr ${s} ip daddr 255.255.255.255 return`);
    rules.push(`meta l4proto { tcp, udp }${out} ip saddr ${s} ip daddr != ${s} ${translate(true)}`);
    rules.push(`ip saddr ${s}${out} ip daddr != ${s} ${translate(false)}`);
  }
  return rules;
}

function chainBlock(name: string, hook: string, rules: readonly string[]): string {
  return [`  chain ${name} {`, `    ${hook}`, ...rules.map((r) => `    ${r}`), '  }'].join('\n');
}

interface NetworkChain {
  name: string;
  hook: string;
  text: string;
}

/** The chains the network needs; an open network needs none. */
function networkChains(net: FirewallNetwork): NetworkChain[] {
  if (net.mode === 'open') return [];
  const names = networkChainNames(net.bridge);
  const chains: NetworkChain[] = [];
  const chain = (name: string, hook: string, rules: readonly string[]): void => {
    chains.push({ name, hook, text: chainBlock(name, hook, rules) });
  };
  if (net.dhcpDns !== false) {
    const br = q(net.bridge);
    chain(names.input, 'type filter hook input priority filter; policy accept;', [
      `iifname ${br} udp dport { 53, 67, 547 } accept`,
      `iifname ${br} tcp dport 53 accept`,
    ]);
  }
  chain(names.forward, 'type filter hook forward priority filter; policy accept;', forwardRules(net));
  if (net.mode === 'nat') {
    chain(names.postrouting, 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(net));
  }
  return chains;
}

/**
 * Drops the network's chains if they exist. `add chain` then `delete chain` is nft's
 * idempotent delete: adding an existing chain is a no-op, and both run in one transaction.
 */
function removeChainsScript(bridge: string): string[] {
  const lines = [`table inet ${NFT_TABLE} {}`];
  for (const name of Object.values(networkChainNames(bridge))) {
    lines.push(`add chain inet ${NFT_TABLE} ${name}`, `delete chain inet ${NFT_TABLE} ${name}`);
  }
  return lines;
}

/** One atomic nft script: the network's old chains go, the new ones come. */
export function networkRulesetScript(net: FirewallNetwork): string {
  const lines = removeChainsScript(net.bridge);
  const chains = networkChains(net);
  if (chains.length > 0) lines.push(`table inet ${NFT_TABLE} {`, ...chains.map((c) => c.text), '}');
  return lines.join('\n') + '\n';
}

/**
 * The same chains for a network just started: each is added if missing and flushed, never
 * deleted, because deleting a base chain makes the kernel wait in the commit (about 14 ms a
 * start). Chains of the network that are not needed stay only if a removal failed before;
 * a daemon restart applies networkRulesetScript again, which drops them.
 */
export function freshNetworkRulesetScript(net: FirewallNetwork): string {
  const chains = networkChains(net);
  const lines = [`table inet ${NFT_TABLE} {}`];
  for (const c of chains) {
    lines.push(`add chain inet ${NFT_TABLE} ${c.name} { ${c.hook} }`, `flush chain inet ${NFT_TABLE} ${c.name}`);
  }
  if (chains.length > 0) lines.push(`table inet ${NFT_TABLE} {`, ...chains.map((c) => c.text), '}');
  return lines.join('\n') + '\n';
}

export function removeNetworkScript(bridge: string): string {
  return removeChainsScript(bridge).join('\n') + '\n';
}

/** `fresh`: the network was just started, so its chains are not replaced but filled (faster). */
export async function applyNetworkFirewall(
  run: CommandRunner,
  net: FirewallNetwork,
  options: { fresh?: boolean } = {},
): Promise<void> {
  const script = options.fresh ? freshNetworkRulesetScript(net) : networkRulesetScript(net);
  await run(['nft', '-f', '-'], { input: script });
}

export async function removeNetworkFirewall(run: CommandRunner, bridge: string): Promise<void> {
  await run(['nft', '-f', '-'], { input: removeNetworkScript(bridge) });
}

/** Names of the chains now in our table (from `nft -j list table inet tsvirt`). */
export function parseNftChainNames(json: string): string[] {
  const doc = JSON.parse(json) as { nftables?: { chain?: { name: string } }[] };
  return (doc.nftables ?? []).flatMap((o) => (o.chain ? [o.chain.name] : []));
}

export async function listOurChains(run: CommandRunner): Promise<string[]> {
  const r = await run(['nft', '-j', 'list', 'table', 'inet', NFT_TABLE], { okExitCodes: [1] });
  return r.exitCode === 0 ? parseNftChainNames(r.stdout) : [];
}
