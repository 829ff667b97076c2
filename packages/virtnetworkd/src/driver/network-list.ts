/** The networks by name and uuid, with libvirt's lookup and conflict wording. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { NetworkListFlags } from '@tsvirt/common/protocol';
import type { NetworkObj } from './network-obj.js';

export function noNetwork(message: string): VirError {
  return new VirError(ErrorCode.NO_NETWORK, ErrorDomain.NETWORK, `Network not found: ${message}`);
}

function operationFailed(message: string): VirError {
  return new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.NETWORK, message);
}

/** Whether a pair of opposite filter flags lets a value through (neither or both set: anything). */
function passes(value: boolean, yes: boolean | undefined, no: boolean | undefined): boolean {
  if (!yes === !no) return true;
  return yes ? value : !value;
}

export class NetworkList {
  private readonly byUuid = new Map<string, NetworkObj>();

  getByName(name: string): NetworkObj {
    for (const net of this.byUuid.values()) if (net.name === name) return net;
    throw noNetwork(`no network with matching name '${name}'`);
  }

  getByUuid(uuid: string): NetworkObj {
    const net = this.byUuid.get(uuid.toLowerCase());
    if (!net) throw noNetwork(`no network with matching uuid '${uuid}'`);
    return net;
  }

  findByName(name: string): NetworkObj | undefined {
    for (const net of this.byUuid.values()) if (net.name === name) return net;
    return undefined;
  }

  /** libvirt's virNetworkObjAssignDef checks: a name keeps its uuid and a uuid keeps its name. */
  assertAssignable(name: string, uuid: string): NetworkObj | undefined {
    const sameUuid = this.byUuid.get(uuid.toLowerCase());
    if (sameUuid && sameUuid.name !== name) {
      throw operationFailed(`network '${sameUuid.name}' is already defined with uuid ${sameUuid.uuid}`);
    }
    const sameName = this.findByName(name);
    if (sameName && sameName.uuid !== uuid.toLowerCase()) {
      throw operationFailed(`network '${name}' already exists with uuid ${sameName.uuid}`);
    }
    return sameName;
  }

  add(net: NetworkObj): void {
    this.byUuid.set(net.uuid, net);
  }

  remove(net: NetworkObj): void {
    this.byUuid.delete(net.uuid);
  }

  /** virConnectListAllNetworks, sorted by name as virsh shows them. */
  list(flags: NetworkListFlags = {}): NetworkObj[] {
    return [...this.byUuid.values()]
      .filter(
        (n) =>
          passes(n.active, flags.active, flags.inactive) &&
          passes(n.persistent, flags.persistent, flags.transient) &&
          passes(n.autostart, flags.autostart, flags.noAutostart),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
