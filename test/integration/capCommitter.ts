/**
 * A separate process for the cross-process cap test (capAcrossProcesses.test.ts): opens
 * its own contact store, waits for the shared start time, commits `count` contacts for one
 * customer at once under a cap of one, and prints which were accepted as JSON.
 * Usage: capCommitter.ts pg|redis URL SCHEMA_OR_PREFIX WORKER COUNT START_AT_MS
 */
import type { ContactStore } from '../../src/store/contactStore.js';
import { openPgPool } from '../../src/store/postgres/db.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { openRedis } from '../../src/store/redis/client.js';
import { RedisContactStore } from '../../src/store/redis/contactStore.js';

const [kind, url, where, worker, count, startAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const store: ContactStore =
  kind === 'pg' ? new PgContactStore(openPgPool({ url, schema: where, max: Number(count) }), { ownsPool: true }) : new RedisContactStore(openRedis(url), { prefix: where, ownsClient: true });
// One warm-up read so every connection is open before the start.
await Promise.all(Array.from({ length: Number(count) }, () => store.capacityUsed(['warm'])));
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const at = Date.parse('2026-03-01T10:00:00Z');
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => store.commit('c1', [{ decisionId: `d${worker}-${i}`, actionId: 'a', family: 'savings', channel: 'push', at }], [{ channel: '*', max: 1, periodMs: 86_400_000 }], [])),
);
process.stdout.write(JSON.stringify(results.map((r) => r.ok)));
await store.close();
