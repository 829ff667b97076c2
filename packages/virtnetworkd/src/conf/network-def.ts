/** The in-memory model of a virtual network definition (libvirt's virNetworkDef, the parts tsvirt honours). */

export type ForwardMode = 'nat' | 'route' | 'open' | 'bridge';
export type IpFamily = 'ipv4' | 'ipv6';

export interface NetworkBridge {
  name?: string;
  stp?: boolean;
  delay?: number;
}

export interface NetworkDomain {
  name: string;
  localOnly?: boolean;
}

export interface NetworkNat {
  addressStart?: string;
  addressEnd?: string;
  portStart?: number;
  portEnd?: number;
}

export interface NetworkForward {
  mode: ForwardMode;
  dev?: string;
  nat?: NetworkNat;
}

export interface DhcpRange {
  start: string;
  end: string;
}

export interface DhcpHost {
  mac?: string;
  name?: string;
  ip: string;
}

export interface NetworkDhcp {
  ranges: DhcpRange[];
  hosts: DhcpHost[];
}

export interface NetworkIp {
  family: IpFamily;
  address: string;
  prefix: number;
  /** Kept only so the document is printed back as written (libvirt keeps netmask='...'); prefix is authoritative. */
  netmask?: string;
  dhcp?: NetworkDhcp;
}

export interface DnsForwarder {
  addr?: string;
  domain?: string;
}

export interface DnsHost {
  ip: string;
  hostnames: string[];
}

export interface NetworkDns {
  enable?: boolean;
  forwarders: DnsForwarder[];
  hosts: DnsHost[];
}

export interface NetworkDef {
  name: string;
  uuid?: string;
  bridge?: NetworkBridge;
  mac?: string;
  mtu?: number;
  domain?: NetworkDomain;
  forward?: NetworkForward;
  ips: NetworkIp[];
  dns?: NetworkDns;
}
