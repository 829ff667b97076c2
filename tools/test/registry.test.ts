/** The registry: lookups by name and alias, and declarations checked when registered. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry, type CommandDecl, type OptionDecl } from '../src/tsvirsh/command.js';
import { defaultRegistry } from '../src/tsvirsh/commands/index.js';

const decl = (options: OptionDecl[], name = 'cmd'): CommandDecl => ({
  name,
  group: 'host',
  summary: 's',
  options,
  run: async () => {},
});

test('the commands are all registered, exit as an alias of quit', () => {
  const registry = defaultRegistry();
  assert.equal(
    registry.commands().map((c) => c.name),
    [
      'autostart',
      'capabilities',
      'connect',
      'console',
      'create',
      'define',
      'destroy',
      'domcapabilities',
      'domid',
      'domifaddr',
      'dominfo',
      'domname',
      'domstate',
      'domstats',
      'domuuid',
      'dumpxml',
      'echo',
      'edit',
      'event',
      'help',
      'hostname',
      'list',
      'net-autostart',
      'net-create',
      'net-define',
      'net-destroy',
      'net-dhcp-leases',
      'net-dumpxml',
      'net-edit',
      'net-info',
      'net-list',
      'net-name',
      'net-start',
      'net-undefine',
      'net-update',
      'net-uuid',
      'pool-autostart',
      'pool-build',
      'pool-capabilities',
      'pool-create',
      'pool-create-as',
      'pool-define',
      'pool-define-as',
      'pool-delete',
      'pool-destroy',
      'pool-dumpxml',
      'pool-edit',
      'pool-info',
      'pool-list',
      'pool-name',
      'pool-refresh',
      'pool-start',
      'pool-undefine',
      'pool-uuid',
      'quit',
      'reboot',
      'reset',
      'resume',
      'setmem',
      'shutdown',
      'start',
      'suspend',
      'undefine',
      'uri',
      'version',
      'vncdisplay',
      'vol-clone',
      'vol-create',
      'vol-create-as',
      'vol-create-from',
      'vol-delete',
      'vol-download',
      'vol-dumpxml',
      'vol-info',
      'vol-key',
      'vol-list',
      'vol-name',
      'vol-path',
      'vol-pool',
      'vol-resize',
      'vol-upload',
      'vol-wipe',
    ],
  );
  assert.is(registry.find('exit'), registry.find('quit'));
  assert.is(registry.find('nope'), undefined);
});

test('a name or alias declared twice is refused', () => {
  assert.throws(() => new CommandRegistry().register(decl([]), decl([])), /declared twice/);
  assert.throws(
    () => new CommandRegistry().register(decl([], 'a'), { ...decl([], 'b'), aliases: ['a'] }),
    /'a' is declared twice/,
  );
});

test('bad option declarations are refused at registration', () => {
  const bad: OptionDecl[][] = [
    [{ name: 'Bad_Name', type: 'bool', help: '' }],
    [{ name: 'help', type: 'bool', help: '' }],
    [
      { name: 'x', type: 'bool', help: '' },
      { name: 'x', type: 'string', help: '' },
    ],
    [{ name: 'b', type: 'bool', required: true, help: '' }],
    [{ name: 'v', type: 'string', variadic: true, help: '' }],
    [
      { name: 'opt', type: 'string', positional: true, help: '' },
      { name: 'req', type: 'string', positional: true, required: true, help: '' },
    ],
    [
      { name: 'rest', type: 'string', positional: true, variadic: true, help: '' },
      { name: 'after', type: 'string', positional: true, help: '' },
    ],
  ];
  for (const options of bad) assert.throws(() => new CommandRegistry().register(decl(options)), /bad declaration/);
});

test.run();
