/** The domain list: sorted listing, kept in order across adds and removes, and filters. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { DomainList } from '../../src/driver/domain-list.js';
import { domainXml } from './helpers.js';

function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

test('list is sorted by name after every add and remove, and a caller cannot disturb it', () => {
  const list = new DomainList();
  const names = ['web10', 'web2', 'db', 'web1', 'Web3', 'app'];
  names.forEach((name, i) => list.add(domainDefFromXml(domainXml(name, uuidOf(i))), { persistent: true }));
  const expected = [...names].sort();
  assert.equal(
    list.list().map((d) => d.name),
    expected,
  );
  const listed = list.list();
  listed.reverse();
  listed.pop();
  assert.equal(
    list.list().map((d) => d.name),
    expected,
    'the returned array is the caller’s own',
  );
  list.remove(list.getByName('db'));
  list.add(domainDefFromXml(domainXml('cache', uuidOf(99))), { persistent: false });
  assert.equal(
    list.list().map((d) => d.name),
    ['Web3', 'app', 'cache', 'web1', 'web10', 'web2'],
  );
  assert.equal(
    list.list({ transient: true }).map((d) => d.name),
    ['cache'],
  );
  assert.equal(
    list.list({ persistent: true }).map((d) => d.name),
    ['Web3', 'app', 'web1', 'web10', 'web2'],
  );
});

test.run();
