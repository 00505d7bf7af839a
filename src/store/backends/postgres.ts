import type { ApiKeyStore } from '../apiKeyStore.js';
import type { Backend, BackendWarning, DependencyCheck } from '../backend.js';
import { PgAuditLog } from '../postgres/auditLog.js';
import { openTombstoneKey } from '../postgres/tombstones.js';
import { DEFAULT_PG_SCHEMA } from '../postgres/admin.js';
import { PgApiKeyStore } from '../postgres/apiKeyStore.js';
import { PgCatalogueStore } from '../postgres/catalogueStore.js';
import { PgConsumerCheckpoints } from '../postgres/consumerCheckpoints.js';
import { PgContactStore } from '../postgres/contactStore.js';
import { PgCustomerStore } from '../postgres/customerStore.js';
import { openPgPool, type PgPool } from '../postgres/db.js';
import { PgDecisionLog } from '../postgres/decisionLog.js';
import { PgEventLog } from '../postgres/eventLog.js';
import { PgExperimentStore } from '../postgres/experimentStore.js';
import { migrate } from '../postgres/migrations.js';
import { PgModelRegistry } from '../postgres/modelRegistry.js';
import { PgOutbox } from '../postgres/outbox.js';
import { PgProfileStore } from '../postgres/profileStore.js';
import { PgRejectStore } from '../postgres/rejectStore.js';
import { openRedis, type RedisClient } from '../redis/client.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { PgPartitionLeases } from '../postgres/busLeases.js';
import { NatsBus, busOptionsFromUrl } from '../nats/bus.js';
import { RedisContactStore } from '../redis/contactStore.js';
import { PgErasureNotices } from '../postgres/erasureNotices.js';
import { rebuildContacts } from '../redis/contactRebuild.js';
import { RedisProfileStore } from '../redis/profileStore.js';

/** How far back the contact history is rebuilt when Redis lost it: beyond the longest cap or cool-down a catalogue sets. */
const CONTACT_REBUILD_DAYS = 400;

/**
 * Every port on PostgreSQL (profiles and contact counters on Redis when a cache is given).
 * `pool`: for modules that keep their own tables in the schema (the trigger state, migration 13).
 */
export type PostgresBackend = Backend & { readonly kind: 'postgres'; readonly pool: PgPool };

export interface PostgresBackendOptions {
  /** `postgres://…` */
  url: string;
  /** Where the instance keeps its own files (none of its data: records, tombstones and the audit trail are in PostgreSQL). */
  dataDir?: string;
  onWarning?: BackendWarning;
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** `redis://…`: online profiles and contact counters go to Redis instead of PostgreSQL. */
  cacheUrl?: string;
  /** Prefix of every Redis key (default `nextbest:`). */
  cachePrefix?: string;
  /** `nats://HOST:PORT?stream=NAME&partitions=N&lease_ms=MS`: the bus between instances (partitioned consumers). */
  busUrl?: string;
}

/**
 * Opens every port on one pool. Migrates first (a no-op when up to date, once even when
 * several instances start together), so an instance never runs on an older schema.
 */
export async function openPostgresBackend(o: PostgresBackendOptions): Promise<PostgresBackend> {
  const schema = o.schema ?? DEFAULT_PG_SCHEMA;
  const pool = openPgPool({ url: o.url, schema, ...(o.poolSize ? { max: o.poolSize } : {}) });
  let tombstoneKey: Buffer;
  try {
    await migrate(pool, schema);
    tombstoneKey = await openTombstoneKey(pool, Date.now());
  } catch (e) {
    await pool.end();
    throw e;
  }
  const redis = o.cacheUrl ? openRedis(o.cacheUrl) : undefined;
  // ioredis reconnects by itself; an 'error' with no listener is printed on every retry.
  // The last one is kept for /readyz, which reports the cache down while it is.
  const cache = { lastError: '' };
  redis?.on('error', (e: Error) => (cache.lastError = e.message));
  const prefix = o.cachePrefix !== undefined ? { prefix: o.cachePrefix } : {};
  const decisionLog = new PgDecisionLog(pool);
  const eventLog = new PgEventLog(pool);
  const contactSources = () => ({ decisionsSince: (since: number) => decisionLog.since(since), getCatalogue: (v: string) => decisionLog.getCatalogue(v), eventLog });
  const ports = {
    eventLog,
    customers: new PgCustomerStore(pool, {}, tombstoneKey),
    rejects: new PgRejectStore(pool),
    profiles: redis ? new RedisProfileStore(redis, prefix) : new PgProfileStore(pool),
    contacts: redis ? new RedisContactStore(redis, { ...prefix, rebuild: (sink) => rebuildContacts(contactSources(), sink, { sinceMs: Date.now() - CONTACT_REBUILD_DAYS * 86_400_000, now: Date.now() }) }) : new PgContactStore(pool, { outbox: true }),
    // Beside the contacts (same database): an outbox entry is written in the transaction of its contact (not with Redis contacts: enqueued after their commit).
    outbox: new PgOutbox(pool),
    decisionLog,
    models: new PgModelRegistry(pool),
    catalogues: new PgCatalogueStore(pool),
    apiKeys: new PgApiKeyStore(pool),
    checkpoints: new PgConsumerCheckpoints(pool),
    experiments: new PgExperimentStore(pool),
    audit: new PgAuditLog(pool),
  };
  // A Redis that lost its data (or a new one) gets the contact history back from the logs, in
  // the background: a Redis that is down must not keep the instance from starting (/readyz
  // says so), and the first decision's history read waits for the rebuild anyway.
  if (ports.contacts instanceof RedisContactStore) {
    ports.contacts.ensureComplete().catch((e: Error) => o.onWarning?.({ event: 'contact_rebuild_failed' }, `the contact history could not be checked or rebuilt yet: ${e.message}; the next decision tries again`));
  }
  let bus: PostgresBackend['bus'];
  if (o.busUrl) {
    const bo = busOptionsFromUrl(o.busUrl);
    let transport: NatsBus | undefined;
    try {
      transport = await NatsBus.open(bo);
      const leases = new PgPartitionLeases(pool, `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, bo.partitions, bo.leaseMs);
      await leases.open();
      bus = { transport, leases, leaseMs: bo.leaseMs, held: (seqs) => ports.eventLog.held(seqs) };
    } catch (e) {
      await transport?.close();
      await pool.end();
      redis?.disconnect();
      throw e;
    }
  }
  const erasures = new PgErasureNotices(pool, { url: o.url, schema, tombstoneKey, ...(o.onWarning ? { onWarning: (m: string) => o.onWarning!({ event: 'erasure_listener' }, m) } : {}) });
  let closed = false;
  return {
    kind: 'postgres',
    pool,
    ...ports,
    tombstoneKey,
    erasures,
    // PostgreSQL's own WAL and vacuum handle deleted rows; there is no -wal file here to truncate.
    compact: async () => true,
    ...(bus ? { bus } : {}),
    ping: (timeoutMs) => Promise.all([pingPostgres(pool, timeoutMs), ...(redis ? [pingRedis(redis, timeoutMs, cache.lastError)] : []), ...(bus ? [pingNats(bus.transport, timeoutMs)] : [])]),
    async close() {
      if (closed) return;
      closed = true;
      // The decision log first: it waits for its batch in flight. Ports do not own the
      // pool or the connection (no ownsPool), so each close is cheap; then both end.
      await erasures.close();
      await ports.decisionLog.close();
      for (const p of Object.values(ports)) await p.close();
      if (bus) await bus.transport.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      await pool.end();
    },
  };
}

/** Store, cache and bus URLs as configured: `?schema=` and `?prefix=` are nextbest's, not the drivers'. */
export function postgresOptionsFromUrls(store: string, cache?: string, bus?: string): PostgresBackendOptions {
  const pgUrl = new URL(store);
  const schema = pgUrl.searchParams.get('schema') ?? undefined;
  pgUrl.searchParams.delete('schema');
  const o: PostgresBackendOptions = { url: pgUrl.toString(), ...(schema !== undefined ? { schema } : {}), ...(bus !== undefined ? { busUrl: bus } : {}) };
  if (cache === undefined) return o;
  const redisUrl = new URL(cache);
  const prefix = redisUrl.searchParams.get('prefix') ?? undefined;
  redisUrl.searchParams.delete('prefix');
  return { ...o, cacheUrl: redisUrl.toString(), ...(prefix !== undefined ? { cachePrefix: prefix } : {}) };
}

/** The API key store alone on PostgreSQL (what `nextbest keys` uses); migrates first, owns its small pool. */
export async function openPostgresApiKeyStore(o: { url: string; schema?: string }): Promise<ApiKeyStore> {
  return new PgApiKeyStore(await openMigratedSmallPool(o), { ownsPool: true });
}

/** The audit trail alone on PostgreSQL (what `nextbest keys` and `nextbest audit` use); migrates first, owns its small pool. */
export async function openPostgresAuditLog(o: { url: string; schema?: string }): Promise<PgAuditLog> {
  return new PgAuditLog(await openMigratedSmallPool(o), { ownsPool: true });
}

/** A pool of two for one port opened alone by a CLI command, migrated first (ended if migrating fails). */
async function openMigratedSmallPool(o: { url: string; schema?: string }): Promise<PgPool> {
  const schema = o.schema ?? DEFAULT_PG_SCHEMA;
  const pool = openPgPool({ url: o.url, schema, max: 2 });
  try {
    await migrate(pool, schema);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return pool;
}

/** Rejects after `ms` unless `p` settles first: a store that does not answer is not ready. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function pingPostgres(pool: PgPool, timeoutMs: number): Promise<DependencyCheck> {
  try {
    await within(pool.query('SELECT 1'), timeoutMs, 'PostgreSQL');
    return { name: 'postgres', ok: true };
  } catch (e) {
    return { name: 'postgres', ok: false, error: (e as Error).message };
  }
}

async function pingNats(bus: Pick<NatsBus, 'ping'>, timeoutMs: number): Promise<DependencyCheck> {
  try {
    await bus.ping(timeoutMs);
    return { name: 'nats', ok: true };
  } catch (e) {
    return { name: 'nats', ok: false, error: (e as Error).message };
  }
}

async function pingRedis(redis: RedisClient, timeoutMs: number, lastError: string): Promise<DependencyCheck> {
  // Not connected: say so at once rather than queue a PING behind the reconnect.
  if (redis.status !== 'ready') return { name: 'redis', ok: false, error: `Redis connection is ${redis.status}${lastError ? ` (${lastError})` : ''}` };
  try {
    await within(redis.ping(), timeoutMs, 'Redis');
    return { name: 'redis', ok: true };
  } catch (e) {
    return { name: 'redis', ok: false, error: (e as Error).message };
  }
}
