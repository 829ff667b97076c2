/**
 * Bridge names at define and create time (libvirt's networkBridgeNameValidate): a name the
 * user gave must not be another network's; no name, or a template with `%d`, gets the lowest
 * `virbrN` (or template) that no other network uses and no host device holds.
 */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';
import { assertValidBridgeName, type NetworkDef } from '../conf/index.js';
import { managesBridge } from './host-plan.js';

const DEFAULT_TEMPLATE = 'virbr%d';
/** libvirt gives up after this many candidates. */
const MAX_BRIDGE_ID = 256;

/**
 * Returns `def` with its bridge name settled. `usedByOthers` are the bridges of every other
 * network (config and live); `hostLinks` is asked only when a name must be picked.
 */
export async function settleBridgeName<Def extends NetworkDef>(
  def: Def,
  usedByOthers: ReadonlySet<string>,
  hostLinks: () => Promise<Set<string>>,
): Promise<Def> {
  if (!managesBridge(def)) return def;
  const given = def.bridge?.name;
  if (given !== undefined && !given.includes('%d')) {
    if (usedByOthers.has(given)) {
      throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.NETWORK, `bridge name '${given}' already in use.`);
    }
    return def;
  }
  const template = given ?? DEFAULT_TEMPLATE;
  const links = await hostLinks();
  for (let id = 0; id < MAX_BRIDGE_ID; id++) {
    const name = template.replace('%d', String(id));
    assertValidBridgeName(name);
    if (!usedByOthers.has(name) && !links.has(name)) return { ...def, bridge: { ...def.bridge, name } };
  }
  throw new VirError(
    ErrorCode.INTERNAL_ERROR,
    ErrorDomain.NETWORK,
    `Bridge generation exceeded max id ${MAX_BRIDGE_ID}`,
  );
}
