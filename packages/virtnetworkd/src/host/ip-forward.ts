/**
 * IP forwarding, turned on only when a routed or NAT network asks for it (libvirt does the
 * same in networkEnableIPForwarding); never turned off, since other things may rely on it.
 */
import type { CommandRunner } from './command.js';

/** Through the runner (sysctl -w) so it lands in the runner's namespace, not the daemon's. */
export async function enableIpForwarding(run: CommandRunner, ipv6: boolean): Promise<void> {
  await run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  if (ipv6) await run(['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
}

export async function readIpForwarding(run: CommandRunner): Promise<boolean> {
  return (await run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim() === '1';
}
