/**
 * A dispatcher process for the SIGKILL test: sends the outbox in `argv[2]` (SQLite) to the
 * webhook at `argv[3]` until killed.
 */
import { Dispatcher } from '../../src/channels/dispatcher.js';
import { WebhookAdapter } from '../../src/channels/webhook.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteOutbox } from '../../src/store/sqlite/outbox.js';

const [, , path, url, secret] = process.argv;
const outbox = new SqliteOutbox(openSqlite(path!, { shared: true }));
const d = new Dispatcher({
  outbox,
  adapters: [new WebhookAdapter({ channel: 'push', url: url!, secret: secret!, timeoutMs: 2_000, clock: Date.now })],
  clock: Date.now,
  random: Math.random,
  id: `worker-${process.pid}`,
  leaseMs: 5_000,
  batch: 40,
  backoff: { baseMs: 5, maxMs: 50, maxAttempts: 100 },
});
d.start(5);
process.stdout.write('dispatching\n');
