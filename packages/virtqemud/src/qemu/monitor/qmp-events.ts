/** The asynchronous events QEMU sends on QMP, typed as QEMU documents them (keys kept as QEMU spells them). */

export interface QmpTimestamp {
  seconds: number;
  microseconds: number;
}

/** `data` of the events the driver reacts to; events without data get `{}`. */
export interface QmpEventDataMap {
  STOP: Record<string, never>;
  RESUME: Record<string, never>;
  /** `guest`: the guest asked for it; `reason`, e.g. 'host-qmp-quit', 'guest-shutdown', 'host-signal'. */
  SHUTDOWN: { guest: boolean; reason: string };
  POWERDOWN: Record<string, never>;
  RESET: { guest: boolean; reason: string };
  GUEST_PANICKED: { action: string; info?: Record<string, unknown> };
  /** `actual`: the guest's memory in bytes after the balloon moved. */
  BALLOON_CHANGE: { actual: number };
  DEVICE_DELETED: { device?: string; path: string };
  SUSPEND: Record<string, never>;
  SUSPEND_DISK: Record<string, never>;
  WAKEUP: Record<string, never>;
  WATCHDOG: { action: string };
  RTC_CHANGE: { offset: number; 'qom-path'?: string };
  BLOCK_IO_ERROR: {
    device: string;
    'node-name'?: string;
    operation: 'read' | 'write';
    action: 'ignore' | 'report' | 'stop';
    nospace?: boolean;
    reason: string;
  };
  MIGRATION: { status: string };
  JOB_STATUS_CHANGE: { id: string; status: string };
}

export type QmpEventName = keyof QmpEventDataMap;

/** One event of a known name, with its typed data. */
export interface QmpEvent<N extends QmpEventName = QmpEventName> {
  event: N;
  data: QmpEventDataMap[N];
  timestamp: QmpTimestamp;
}

/** Any event, known or not: what the catch-all 'event' listener receives. */
export interface QmpAnyEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: QmpTimestamp;
}
