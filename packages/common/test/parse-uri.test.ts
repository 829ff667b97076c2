/** parseURI / formatURI / isLocalURI: every accepted form, round trips, and every rejection. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, ErrorDomain } from '../src/errors/error-codes.js';
import { formatURI, isLocalURI, parseURI, quoteURI, type ParsedURI } from '../src/uri/parse-uri.js';
import { virErrorOf } from '../src/testing/expect-error.js';

const accepted: Array<[string, ParsedURI, boolean]> = [
  ['qemu:///system', { driver: 'qemu', path: '/system', params: {} }, true],
  ['qemu:///session', { driver: 'qemu', path: '/session', params: {} }, true],
  [
    'qemu+unix:///system?socket=/path/sock',
    { driver: 'qemu', transport: 'unix', path: '/system', params: { socket: '/path/sock' } },
    true,
  ],
  [
    'qemu+tls://host.example:16514/system',
    { driver: 'qemu', transport: 'tls', host: 'host.example', port: 16514, path: '/system', params: {} },
    false,
  ],
  [
    'qemu+ssh://root@host/system?keyfile=x',
    { driver: 'qemu', transport: 'ssh', user: 'root', host: 'host', path: '/system', params: { keyfile: 'x' } },
    false,
  ],
  ['network:///system', { driver: 'network', path: '/system', params: {} }, true],
  [
    'qemu+tcp://[::1]:16509/system',
    { driver: 'qemu', transport: 'tcp', host: '::1', port: 16509, path: '/system', params: {} },
    false,
  ],
  ['qemu://host/system', { driver: 'qemu', host: 'host', path: '/system', params: {} }, false],
  ['qemu+ssh:///system', { driver: 'qemu', transport: 'ssh', path: '/system', params: {} }, false],
  [
    'qemu+ext:///system?command=/bin/x',
    { driver: 'qemu', transport: 'ext', path: '/system', params: { command: '/bin/x' } },
    false,
  ],
  [
    'qemu+libssh2://u@h:22/system',
    { driver: 'qemu', transport: 'libssh2', user: 'u', host: 'h', port: 22, path: '/system', params: {} },
    false,
  ],
  ['qemu+libssh://h/session', { driver: 'qemu', transport: 'libssh', host: 'h', path: '/session', params: {} }, false],
  ['test://', { driver: 'test', path: '', params: {} }, true],
  ['qemu://h', { driver: 'qemu', host: 'h', path: '', params: {} }, false],
  [
    'qemu+tcp://[fe80::1%25eth0]/system',
    { driver: 'qemu', transport: 'tcp', host: 'fe80::1%eth0', path: '/system', params: {} },
    false,
  ],
  [
    'qemu:///system?socket=/tmp/a%20b%26c&mode=legacy',
    { driver: 'qemu', path: '/system', params: { socket: '/tmp/a b&c', mode: 'legacy' } },
    true,
  ],
  ['secret:///session?x=a%3Db%2Bc', { driver: 'secret', path: '/session', params: { x: 'a=b+c' } }, true],
  ['nodedev:///system?name=%C3%A9t%C3%A9', { driver: 'nodedev', path: '/system', params: { name: 'été' } }, true],
  ['storage:///sys%20tem', { driver: 'storage', path: '/sys tem', params: {} }, true],
  ['qemu://user%40corp@h/system', { driver: 'qemu', user: 'user@corp', host: 'h', path: '/system', params: {} }, false],
];

for (const [text, expected, local] of accepted) {
  test(`parse ${text}`, () => {
    const uri = parseURI(text);
    assert.equal({ ...uri }, expected);
    assert.is(isLocalURI(uri), local);
  });
  test(`round trip ${text}`, () => {
    const uri = parseURI(text);
    assert.equal(parseURI(formatURI(uri)), uri);
    assert.is(formatURI(uri), text, 'canonical text comes back byte-identical');
  });
}

// Forms that parse but are not canonical: they format to the second column.
const normalized: Array<[string, string]> = [
  ['QEMU+TLS://h/system', 'qemu+tls://h/system'],
  ['qemu:///system?', 'qemu:///system'],
  ['qemu:///system?&a=1&&', 'qemu:///system?a=1'],
  ['qemu:///system?flag', 'qemu:///system?flag='],
  ['qemu://h:022/system', 'qemu://h:22/system'],
  ['qemu:///a%2Fb', 'qemu:///a/b'],
  ['qemu:///x%3Fy', 'qemu:///x%3Fy'],
];
for (const [text, canonical] of normalized) {
  test(`normalize ${text}`, () => {
    const uri = parseURI(text);
    assert.is(formatURI(uri), canonical);
    assert.equal(parseURI(canonical), uri);
  });
}

test('params named like Object.prototype members are plain data', () => {
  const uri = parseURI('qemu:///system?__proto__=x&constructor=y');
  assert.is(uri.params['__proto__'], 'x');
  assert.is(uri.params['constructor'], 'y');
  assert.is(Object.getPrototypeOf(uri.params), Object.prototype);
  assert.equal(parseURI(formatURI(uri)), uri);
});

test('formatURI encodes what would otherwise change the parse', () => {
  const uri: ParsedURI = {
    driver: 'qemu',
    user: 'a@b',
    host: 'h',
    path: '/p?#%',
    params: { 'k&=': 'v&=+#?% ' },
  };
  const text = formatURI(uri);
  assert.is(text, 'qemu://a%40b@h/p%3F%23%25?k%26%3D=v%26%3D%2B%23%3F%25%20');
  assert.equal(parseURI(text), uri);
});

const rejected: Array<[string, string]> = [
  ['', 'empty URI'],
  ['qemu//x', "missing '://'"],
  ['qemu:/system', "missing '://'"],
  ['/run/tsvirt/virtqemud-sock', "missing '://'"],
  [':///system', 'missing scheme'],
  ['+unix:///system', "missing driver name before '+'"],
  ['1qemu:///system', "bad driver name '1qemu'"],
  ['qe_mu:///system', "bad driver name 'qe_mu'"],
  ['qemu+:///system', "missing transport after '+'"],
  ['qemu+foo:///system', "unknown transport 'foo'"],
  ['qemu+unix+tls:///system', "unknown transport 'unix+tls'"],
  ['qemu://h:0/system', "bad port '0'"],
  ['qemu://h:65536/system', "bad port '65536'"],
  ['qemu://h:123456/system', "bad port '123456'"],
  ['qemu://h:-1/system', "bad port '-1'"],
  ['qemu://h:http/system', "bad port 'http'"],
  ['qemu://h:/system', "bad port ''"],
  ['qemu://[::1]:x/system', "bad port 'x'"],
  ['qemu://:16509/system', 'port given without a host'],
  ['qemu://root@/system', 'user name given without a host'],
  ['qemu://@h/system', 'empty user name'],
  ['qemu://::1/system', 'IPv6 address must be in brackets'],
  ['qemu://[::1/system', "unterminated '['"],
  ['qemu://[nope]/system', "bad IPv6 address 'nope'"],
  ['qemu://[1.2.3.4]/system', "bad IPv6 address '1.2.3.4'"],
  ['qemu://[::1]x/system', "unexpected 'x' after ']'"],
  ['qemu://[fe80::1%25]/system', "bad IPv6 zone ''"],
  ['qemu://ho^st/system', "bad host name 'ho^st'"],
  ['qemu:///system#frag', 'fragments are not supported'],
  ['qemu:///system?socket=%zz', "bad percent-encoding in parameter 'socket'"],
  ['qemu:///system?%=1', 'bad percent-encoding in parameter name'],
  ['qemu:///sys%4', 'bad percent-encoding in path'],
  ['qemu:///system?=1', 'empty parameter name'],
  ['qemu:///system?socket=/a&socket=/b', "duplicate parameter 'socket'"],
  ['qemu:///system?socket=%00', "parameter 'socket' contains a control character"],
  ['qemu:///sys%0Atem', 'path contains a control character'],
  ['qemu://a%01@h/system', 'user name contains a control character'],
  ['qemu:///sys tem', 'contains a space'],
];

for (const [text, reason] of rejected) {
  test(`reject ${JSON.stringify(text)}`, () => {
    const err = virErrorOf(() => parseURI(text));
    assert.is(err.code, ErrorCode.INVALID_ARG);
    assert.is(err.domain, ErrorDomain.URI);
    assert.ok(err.message.startsWith(`invalid URI '${text}': `), err.message);
    assert.ok(err.message.includes(reason), `${err.message} should mention ${reason}`);
  });
}

// Raw control characters are quoted escaped, so the message itself stays printable.
const rejectedControl: Array<[string, string]> = [
  ['qemu:///system\x00', "invalid URI 'qemu:///system\\x00': contains a control character at offset 14"],
  ['qemu:///sys\ntem', "invalid URI 'qemu:///sys\\x0atem': contains a control character at offset 11"],
  ['\tqemu:///system', "invalid URI '\\x09qemu:///system': contains a control character at offset 0"],
  ['qemu:///system\x7f', "invalid URI 'qemu:///system\\x7f': contains a control character at offset 14"],
];
for (const [text, message] of rejectedControl) {
  test(`reject control character in ${JSON.stringify(text)}`, () => {
    const err = virErrorOf(() => parseURI(text));
    assert.is(err.code, ErrorCode.INVALID_ARG);
    assert.is(err.domain, ErrorDomain.URI);
    assert.is(err.message, message);
    assert.not.match(err.message, /[\x00-\x1f\x7f]/);
    assert.is(err.str1, text, 'the raw input stays available to callers');
  });
}

test('the example message from the spec', () => {
  assert.is(virErrorOf(() => parseURI('qemu//x')).message, "invalid URI 'qemu//x': missing '://'");
});

test('quoteURI escapes only control characters', () => {
  assert.is(quoteURI('a b\x00'), "'a b\\x00'");
});

test('isLocalURI', () => {
  const cases: Array<[Partial<ParsedURI>, boolean]> = [
    [{}, true],
    [{ transport: 'unix' }, true],
    [{ host: 'h' }, false],
    [{ transport: 'unix', host: 'h' }, false],
    [{ transport: 'tls' }, false],
    [{ transport: 'tcp' }, false],
    [{ transport: 'ssh' }, false],
    [{ transport: 'ext' }, false],
  ];
  for (const [part, local] of cases) {
    assert.is(isLocalURI({ driver: 'qemu', path: '/system', params: {}, ...part }), local, JSON.stringify(part));
  }
});

test.run();
