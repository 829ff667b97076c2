/**
 * Every domain the driver knows, indexed by uuid, name and runtime id (libvirt's
 * virDomainObjList). It enforces that names and uuids are unique and decides whether
 * a define adds a domain or updates one; it does no I/O.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import type { DomainListFlags } from '@tsvirt/common/protocol';
import type { DomainDef } from '../conf/domain-xml.js';
import { DomainObj } from './domain-obj.js';

/** NO_DOMAIN as libvirt words it: `no domain with matching name 'x'` / `uuid 'x'` / `id N`. */
export function noDomain(by: 'name' | 'uuid' | 'id', value: string | number): VirError {
  const what = by === 'id' ? `id ${value}` : `${by} '${value}'`;
  return new VirError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching ${what}`, {
    str1: String(value),
  });
}

function compareNames(a: DomainObj, b: DomainObj): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function isSortedByName(doms: readonly DomainObj[]): boolean {
  for (let i = 1; i < doms.length; i++) if (compareNames(doms[i - 1]!, doms[i]!) > 0) return false;
  return true;
}

/** What defining `def` would do to the list: add a new domain, or update this one. */
export type DefinePlan = { kind: 'add' } | { kind: 'update'; dom: DomainObj };

export class DomainList {
  private readonly byUuid = new Map<string, DomainObj>();
  private readonly byName = new Map<string, DomainObj>();
  /** Every domain sorted by name, kept between changes: listing 1000 domains need not sort each time. */
  private sortedByName: DomainObj[] | undefined;

  get size(): number {
    return this.byUuid.size;
  }

  findByUuid(uuid: string): DomainObj | undefined {
    return this.byUuid.get(uuid);
  }

  findByName(name: string): DomainObj | undefined {
    return this.byName.get(name);
  }

  /** Only running domains have an id. */
  findById(id: number): DomainObj | undefined {
    if (id < 0) return undefined;
    for (const dom of this.byUuid.values()) if (dom.active && dom.id === id) return dom;
    return undefined;
  }

  getByUuid(uuid: string): DomainObj {
    const dom = this.findByUuid(uuid);
    if (!dom) throw noDomain('uuid', uuid);
    return dom;
  }

  getByName(name: string): DomainObj {
    const dom = this.findByName(name);
    if (!dom) throw noDomain('name', name);
    return dom;
  }

  getById(id: number): DomainObj {
    const dom = this.findById(id);
    if (!dom) throw noDomain('id', id);
    return dom;
  }

  /**
   * Checks `def` against the list as libvirt's virDomainObjListAdd does: the same uuid
   * under another name, or the same name under another uuid, is refused.
   */
  planDefine(def: DomainDef): DefinePlan {
    const uuid = def.uuid ?? '';
    const sameUuid = this.byUuid.get(uuid);
    if (sameUuid) {
      if (sameUuid.name !== def.name) {
        throw new VirError(
          ErrorCode.OPERATION_FAILED,
          ErrorDomain.QEMU,
          `domain '${sameUuid.name}' is already defined with uuid ${uuid}`,
          { str1: sameUuid.name, str2: uuid },
        );
      }
      return { kind: 'update', dom: sameUuid };
    }
    const sameName = this.byName.get(def.name);
    if (sameName) {
      throw new VirError(
        ErrorCode.OPERATION_FAILED,
        ErrorDomain.QEMU,
        `domain '${def.name}' already exists with uuid ${sameName.uuid}`,
        { str1: def.name, str2: sameName.uuid },
      );
    }
    return { kind: 'add' };
  }

  /** Adds a new domain; planDefine must have said `add`. */
  add(def: DomainDef, options: { persistent: boolean; autostart?: boolean }): DomainObj {
    if (this.planDefine(def).kind !== 'add') throw new Error(`domain ${def.name} is already listed`);
    const dom = new DomainObj(def, options);
    this.byUuid.set(dom.uuid, dom);
    this.byName.set(dom.name, dom);
    this.sortedByName = undefined;
    return dom;
  }

  /** Takes the domain out of the list; a job waiting on it will see it gone. */
  remove(dom: DomainObj): void {
    if (this.byUuid.get(dom.uuid) !== dom) return;
    this.byUuid.delete(dom.uuid);
    this.byName.delete(dom.name);
    this.sortedByName = undefined;
    dom.removed = true;
  }

  /** The domains matching libvirt's listAllDomains filter flags, sorted by name. */
  list(flags: DomainListFlags = {}): DomainObj[] {
    const pass = (yes: boolean | undefined, no: boolean | undefined, value: boolean): boolean =>
      (!yes && !no) || (value ? (yes ?? false) : (no ?? false));
    let sorted = this.sortedByName;
    // Names do not change (a define with the same uuid must keep it); checking anyway costs far less than a sort.
    if (!sorted || !isSortedByName(sorted)) {
      sorted = this.sortedByName = [...this.byUuid.values()].sort(compareNames);
    }
    return sorted.filter(
      (dom) =>
        pass(flags.active, flags.inactive, dom.active) &&
        pass(flags.persistent, flags.transient, dom.persistent) &&
        pass(flags.autostart, flags.noAutostart, dom.autostart),
    );
  }
}
