/** virtstoraged starts on the shared skeleton and answers the connect calls as itself. */
import { askDaemonConnectQuestions } from '@tsvirt/common/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('virtstoraged answers the connect calls on its sockets', async () => {
  const answers = await askDaemonConnectQuestions('virtstoraged');
  assert.is(answers.uri, 'storage:///session');
  assert.is(answers.type, 'storage');
  assert.ok(answers.version > 0, `version ${answers.version}`);
  assert.equal(answers.features.slice(0, 3), ['keepalive', 'streams', 'events']);
  assert.is(answers.readonlyHandshake, true, 'the read-only socket forces read-only');
});

test.run();
