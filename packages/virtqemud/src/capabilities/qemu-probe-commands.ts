/** The QMP queries only the capabilities probe needs, typed the same way as qemu/monitor/qmp-commands.ts. */
import type { QmpConnection } from '../qemu/monitor/index.js';
import { QmpShape } from '../qemu/monitor/qmp-shape.js';
import type { QemuCpuDefinition } from './capabilities-types.js';

/** `query-cpu-definitions` → `[{"name": "EPYC", "unavailable-features": [], "alias-of": "EPYC-v1", "deprecated": false, ...}]` */
export async function queryCpuDefinitions(qmp: QmpConnection): Promise<QemuCpuDefinition[]> {
  const shape = new QmpShape('query-cpu-definitions');
  return shape.array(await qmp.execute('query-cpu-definitions')).map((item, i) => {
    const def = shape.at(`return[${i}]`);
    const obj = def.object(item);
    const unavailable = obj['unavailable-features'] === undefined ? [] : def.array(obj['unavailable-features']);
    return {
      name: def.string(obj, 'name'),
      unavailableFeatures: unavailable.map((f, j) =>
        typeof f === 'string' ? f : def.fail(`return[${i}].unavailable-features[${j}] is not a string`),
      ),
      deprecated: def.optionalBoolean(obj, 'deprecated') ?? false,
      aliasOf: def.optionalString(obj, 'alias-of'),
    };
  });
}

/** `qom-list-types {"abstract": false}` → the names of every instantiable type, devices included. */
export async function qomListTypes(qmp: QmpConnection): Promise<string[]> {
  const shape = new QmpShape('qom-list-types');
  return shape
    .array(await qmp.execute('qom-list-types', { abstract: false }))
    .map((item, i) => shape.at(`return[${i}]`).string(shape.object(item), 'name'));
}

/** `query-commands` → `[{"name": "query-spice"}, ...]`: which optional features this build has. */
export async function queryCommands(qmp: QmpConnection): Promise<string[]> {
  const shape = new QmpShape('query-commands');
  return shape
    .array(await qmp.execute('query-commands'))
    .map((item, i) => shape.at(`return[${i}]`).string(shape.object(item), 'name'));
}
