/** What the driver decides when it starts a domain and hands to the argv builder, plus the builder's errors. */
import { ErrorCode, ErrorDomain, VirError } from '@tsvirt/common';

/** A tap device the driver created (or named) for one `<interface>`. */
export interface TapInfo {
  /** Host interface name, e.g. `vnet3`. */
  ifname: string;
}

/** Where a `type='volume'` disk's storage volume lives, as resolved through its pool. */
export interface VolumePath {
  path: string;
  /** `block` for a volume backed by a device node (logical pools); default `file`. */
  type?: 'file' | 'block';
}

export interface QemuRuntimeInfo {
  /** `kvm` for domain type kvm when /dev/kvm works; `tcg` for type qemu. */
  accel: 'kvm' | 'tcg';
  /** The QMP unix socket QEMU listens on; the driver connects to it. */
  monitorSocket: string;
  /** Where QEMU writes its PID. */
  pidFile: string;
  /** The TCP port for an autoport VNC display (5900 and up), picked by the driver. */
  vncPort?: number;
  /** The TCP port for an autoport SPICE display, from the same pool as VNC's. */
  spicePort?: number;
  /** Tap device per `<interface type='network'|'bridge'|'ethernet'>`, keyed by its (lower-case) MAC. */
  taps: Record<string, TapInfo>;
  /** Resolved source per `<disk type='volume'>`, keyed by target dev; a bare string is a file. */
  volumePaths: Record<string, string | VolumePath>;
  /** Epoch ms the guest clock starts from for `<clock offset='variable'>`; default now (fixed in tests). */
  now?: number;
  /** swtpm's control socket for an emulated `<tpm>`, started by the driver (driver/domain-tpm.ts). */
  tpmSocket?: string;
}

/** The model holds something this builder cannot turn into QEMU arguments. */
export function cannotExpress(message: string): VirError {
  return new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, `unsupported configuration: ${message}`);
}

/** The driver left out runtime information the definition needs: a bug in the caller, not in the XML. */
export function missingRuntime(message: string): VirError {
  return new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `internal error: ${message}`);
}
