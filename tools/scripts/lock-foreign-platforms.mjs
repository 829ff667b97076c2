#!/usr/bin/env node
/**
 * Records in package-lock.json the platform-specific optional packages of nx that
 * the registry reachable from our machines does not serve (it has only linux-x64-gnu).
 * Without these entries `npm ci` refuses the lockfile as out of sync; with them, npm
 * sees that they are for other platforms and skips them. Run after `npm install`
 * changes the lockfile: node tools/scripts/lock-foreign-platforms.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../../package-lock.json', import.meta.url);
const PLATFORMS = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'freebsd-x64': { os: ['freebsd'], cpu: ['x64'] },
  'linux-arm-gnueabihf': { os: ['linux'], cpu: ['arm'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'win32-arm64-msvc': { os: ['win32'], cpu: ['arm64'] },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'] },
};

const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const nx = lock.packages['node_modules/nx'];
let added = 0;
for (const [name, version] of Object.entries(nx?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  const platform = PLATFORMS[name.replace('@nx/nx-', '')];
  if (lock.packages[key] || !platform) continue;
  lock.packages[key] = { version, dev: true, optional: true, ...platform };
  added++;
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`recorded ${added} foreign-platform nx packages`);
