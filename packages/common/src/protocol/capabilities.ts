/** Capabilities of the host and the hypervisor, as libvirt's capabilities and domain capabilities XML. */
import { Type } from '@sinclair/typebox';
import { defineProcedure } from './procedure.js';

/** @since 0.1.0 */
export const connectGetCapabilities = defineProcedure({
  name: 'connect.getCapabilities',
  number: 200,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'connect:read',
  summary: "The host's CPU, NUMA topology and the guests its QEMU can run, as capabilities XML.",
  args: Type.Object({}, { additionalProperties: false }),
  result: Type.Object({ xml: Type.String() }),
});

/** @since 0.1.0 */
export const connectGetDomainCapabilities = defineProcedure({
  name: 'connect.getDomainCapabilities',
  number: 201,
  since: '0.1.0',
  readonly: true,
  owner: 'virtqemud',
  access: 'connect:read',
  summary: 'What a domain may use with a given emulator, arch, machine and virt type, as domain capabilities XML.',
  args: Type.Object(
    {
      emulator: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      arch: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,32}$' })),
      machine: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
      virttype: Type.Optional(Type.String({ pattern: '^[a-z]{1,16}$' })),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ xml: Type.String() }),
});

export const CAPABILITIES_PROCEDURES = [connectGetCapabilities, connectGetDomainCapabilities] as const;
