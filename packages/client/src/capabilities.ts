/** Capabilities XML of the host and of domains, as virsh capabilities / domcapabilities show them. */
import { connectGetCapabilities, connectGetDomainCapabilities, type ArgsOf } from '@tsvirt/common/client';
import type { Connection } from './connection.js';

export async function getCapabilities(conn: Connection): Promise<string> {
  return (await conn.call(connectGetCapabilities, {})).xml;
}

export type DomainCapabilitiesQuery = ArgsOf<typeof connectGetDomainCapabilities>;

export async function getDomainCapabilities(conn: Connection, query: DomainCapabilitiesQuery = {}): Promise<string> {
  return (await conn.call(connectGetDomainCapabilities, query)).xml;
}
