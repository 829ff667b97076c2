/** Kept list answers: the same frozen answer while nothing listed changed, a fresh one as soon as anything did. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DomainState } from '@tsvirt/common/protocol';
import { domainDefFromXml } from '../../src/conf/domain-xml.js';
import { DomainList } from '../../src/driver/domain-list.js';
import { DomainListAnswers } from '../../src/driver/domain-list-answers.js';
import { domainXml } from './helpers.js';

function uuidOf(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

test('an answer is kept while it holds and replaced when a domain is added, removed, started or retitled', () => {
  const list = new DomainList();
  const answers = new DomainListAnswers();
  for (let i = 0; i < 3; i++) list.add(domainDefFromXml(domainXml(`web${i}`, uuidOf(i))), { persistent: true });
  const first = answers.answer(list.list(), {});
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.domains) && Object.isFrozen(first.domains[0]));
  assert.is(answers.answer(list.list(), {}), first, 'nothing changed: the same answer');

  list.add(domainDefFromXml(domainXml('web3', uuidOf(3))), { persistent: true });
  const added = answers.answer(list.list(), {});
  assert.is.not(added, first);
  assert.equal(
    added.domains.map((d) => d.name),
    ['web0', 'web1', 'web2', 'web3'],
  );

  const dom = list.getByName('web1');
  dom.state = DomainState.RUNNING;
  dom.id = 7;
  const started = answers.answer(list.list(), {});
  assert.is.not(started, added);
  assert.is(started.domains[1]?.id, 7);

  list.remove(list.getByName('web0'));
  const removed = answers.answer(list.list(), {});
  assert.equal(
    removed.domains.map((d) => d.name),
    ['web1', 'web2', 'web3'],
  );

  const titled = answers.answer(list.list(), { withTitle: true });
  assert.is(titled.domains[0]?.title, '');
  list.getByName('web1').def = { ...list.getByName('web1').def, title: 'front' };
  assert.is(answers.answer(list.list(), { withTitle: true }).domains[0]?.title, 'front');
  assert.is(answers.answer(list.list(), {}), removed, 'a title change does not touch the answer without titles');

  const active = answers.answer(list.list({ active: true }), { flags: { active: true } });
  assert.equal(
    active.domains.map((d) => d.name),
    ['web1'],
  );
  assert.is(answers.answer(list.list(), {}), removed, 'each filter keeps its own answer');
});

test.run();
