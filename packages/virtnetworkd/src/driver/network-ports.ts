/**
 * Network ports (libvirt's virNetworkPort): virtqemud asks for one per `<interface
 * type='network'>` of a starting guest and gets back the bridge its tap must join. Ports are
 * saved in the runtime dir, so both daemons can restart while guests keep their ports; a
 * restarted virtqemud re-registers a port with `reclaim`, which returns the existing one.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { NetworkPortRef } from '@tsvirt/common/protocol';
import { formatNetworkPortDef, networkPortDefFromXml, type NetworkPortDef } from '../conf/index.js';
import { bridgeNameOf, managesBridge } from './host-plan.js';
import { operationInvalid, type NetworkDriver } from './network-driver.js';
import type { NetworkObj } from './network-obj.js';

function noPort(uuid: string): VirError {
  return new VirError(ErrorCode.NO_NETWORK_PORT, ErrorDomain.NETWORK, `Network port with UUID ${uuid} does not exist`);
}

export class NetworkPorts {
  constructor(private readonly networks: NetworkDriver) {}

  create(networkUuid: string, xml: string, reclaim: boolean): Promise<NetworkPortRef & { xml: string }> {
    return this.networks.mutex.run(async () => {
      const net = this.networks.list.getByUuid(networkUuid);
      const live = net.live;
      if (!live) throw operationInvalid(`network '${net.name}' is not active`);
      const asked = networkPortDefFromXml(xml, { generateUuid: randomUUID });
      const existing = net.ports.get(asked.uuid);
      if (existing && !reclaim) {
        throw new VirError(
          ErrorCode.INTERNAL_ERROR,
          ErrorDomain.NETWORK,
          `Network port with UUID ${asked.uuid} already exists`,
        );
      }
      const port: NetworkPortDef = {
        ...asked,
        plug: { type: managesBridge(live) ? 'network' : 'bridge', bridge: bridgeNameOf(live) },
      };
      await this.networks.runtime.savePort(net.name, port);
      net.ports.set(port.uuid, port);
      return { network: net.uuid, uuid: port.uuid, xml: formatNetworkPortDef(port) };
    });
  }

  delete(networkUuid: string, uuid: string): Promise<void> {
    return this.networks.mutex.run(() => {
      const net = this.networks.list.getByUuid(networkUuid);
      this.get(net, uuid);
      this.networks.runtime.removePort(net.name, uuid.toLowerCase());
      net.ports.delete(uuid.toLowerCase());
      return Promise.resolve();
    });
  }

  lookup(networkUuid: string, uuid: string): NetworkPortRef {
    const net = this.networks.list.getByUuid(networkUuid);
    return { network: net.uuid, uuid: this.get(net, uuid).uuid };
  }

  xml(networkUuid: string, uuid: string): string {
    return formatNetworkPortDef(this.get(this.networks.list.getByUuid(networkUuid), uuid));
  }

  list(networkUuid: string): NetworkPortRef[] {
    const net = this.networks.list.getByUuid(networkUuid);
    return [...net.ports.keys()].sort().map((uuid) => ({ network: net.uuid, uuid }));
  }

  private get(net: NetworkObj, uuid: string): NetworkPortDef {
    const port = net.ports.get(uuid.toLowerCase());
    if (!port) throw noPort(uuid);
    return port;
  }
}
