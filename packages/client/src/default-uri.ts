/** Which URI to use when the caller names none, the way virsh decides. */

export function defaultURI(env: NodeJS.ProcessEnv, uid: number): string {
  return env.TSVIRT_DEFAULT_URI || env.LIBVIRT_DEFAULT_URI || (uid === 0 ? 'qemu:///system' : 'qemu:///session');
}
