/**
 * CPU model naming. Picks a named QEMU CPU model for the host's `<cpu><model>`. libvirt does this by comparing
 * CPUID with its cpu_map; we only look at vendor, family and a few flags, which names the
 * generation closely enough for a human reading `virsh capabilities`, and fall back to qemu64.
 */

export interface CpuIdentity {
  vendorId: string | undefined;
  family: number | undefined;
  flags: readonly string[];
}

/** cpuinfo vendor_id → libvirt's vendor name. */
export function vendorName(vendorId: string | undefined): string | undefined {
  switch (vendorId) {
    case 'GenuineIntel':
      return 'Intel';
    case 'AuthenticAMD':
      return 'AMD';
    case 'HygonGenuine':
      return 'Hygon';
    default:
      return undefined;
  }
}

export const FALLBACK_CPU_MODEL = 'qemu64';

export function hostCpuModel(id: CpuIdentity): string {
  const has = (flag: string): boolean => id.flags.includes(flag);
  if (id.vendorId === 'AuthenticAMD') {
    // Family 17h is Zen/Zen2, 19h Zen3/Zen4; QEMU 7.2 knows no model newer than Milan.
    if (id.family === 0x19) return 'EPYC-Milan';
    if (id.family === 0x17) return has('clwb') ? 'EPYC-Rome' : 'EPYC';
    if (id.family === 0x15) return 'Opteron_G5';
    if (id.family === 0x10) return 'Opteron_G3';
    return FALLBACK_CPU_MODEL;
  }
  if (id.vendorId === 'HygonGenuine') return 'Dhyana';
  if (id.vendorId === 'GenuineIntel' && id.family === 6) {
    // Flags added by each generation, newest first; family 6 covers every Core and Xeon.
    if (has('amx_tile')) return 'SapphireRapids';
    if (has('avx512_vnni') && has('avx512ifma')) return 'Icelake-Server';
    if (has('avx512_vnni')) return 'Cascadelake-Server';
    if (has('avx512f')) return 'Skylake-Server';
    if (has('xsavec')) return 'Skylake-Client';
    if (has('rdseed')) return 'Broadwell';
    if (has('avx2')) return 'Haswell';
    if (has('f16c')) return 'IvyBridge';
    if (has('avx')) return 'SandyBridge';
    if (has('aes')) return 'Westmere';
    if (has('sse4_2')) return 'Nehalem';
    if (has('sse4_1')) return 'Penryn';
    return 'Conroe';
  }
  return FALLBACK_CPU_MODEL;
}

/** Model-name stems of AMD's and Hygon's QEMU models; the other named models are Intel's. */
const AMD_MODELS = /^(EPYC|Opteron_|phenom|athlon)/;
/** Generic models that imitate no vendor's CPU; libvirt prints vendor='unknown' for them. */
const GENERIC_MODELS = /^(qemu32|qemu64|kvm32|kvm64|486|pentium|pentium2|pentium3)(-v\d+)?$/;

/**
 * The vendor libvirt's domcapabilities prints for a custom CPU model. libvirt takes it from
 * its cpu_map; QEMU's model names carry it just as well, version suffix and all.
 */
export function cpuModelVendor(model: string): string {
  if (GENERIC_MODELS.test(model)) return 'unknown';
  if (AMD_MODELS.test(model)) return 'AMD';
  if (model.startsWith('Dhyana')) return 'Hygon';
  return 'Intel';
}
