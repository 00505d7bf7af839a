import type { CatalogueStore } from '../catalogueStore.js';
import type { ContactStore } from '../contactStore.js';
import type { CustomerStore } from '../customerStore.js';
import type { DecisionLog } from '../decisionLog.js';
import type { EventLog } from '../eventLog.js';
import type { ModelRegistry } from '../modelRegistry.js';
import type { ProfileStore } from '../profileStore.js';
import type { RejectStore } from '../rejectStore.js';
import { DEFAULT_PG_SCHEMA } from '../postgres/admin.js';
import { PgCatalogueStore } from '../postgres/catalogueStore.js';
import { PgConsumerCheckpoints } from '../postgres/consumerCheckpoints.js';
import { PgContactStore } from '../postgres/contactStore.js';
import { PgCustomerStore } from '../postgres/customerStore.js';
import { openPgPool } from '../postgres/db.js';
import { PgDecisionLog } from '../postgres/decisionLog.js';
import { PgEventLog } from '../postgres/eventLog.js';
import { migrate } from '../postgres/migrations.js';
import { PgModelRegistry } from '../postgres/modelRegistry.js';
import { PgProfileStore } from '../postgres/profileStore.js';
import { PgRejectStore } from '../postgres/rejectStore.js';
import { openRedis } from '../redis/client.js';
import { RedisContactStore } from '../redis/contactStore.js';
import { RedisProfileStore } from '../redis/profileStore.js';

/**
 * Every port on PostgreSQL, with Redis for profiles and contact counters when a cache URL
 * is given. The same shape as the Backend of src/store/backend.ts (branch `spine`), plus
 * the catalogue store; at merge it becomes that interface with kind 'postgres'.
 */
export interface PostgresBackend {
  readonly kind: 'postgres';
  readonly eventLog: EventLog;
  readonly customers: CustomerStore;
  readonly rejects: RejectStore;
  readonly profiles: ProfileStore;
  readonly contacts: ContactStore;
  readonly decisionLog: DecisionLog;
  readonly models: ModelRegistry;
  readonly catalogue: CatalogueStore;
  readonly checkpoints: PgConsumerCheckpoints;
  /** Closes every port, the pool and the Redis connection; safe to call twice. */
  close(): Promise<void>;
}

export interface PostgresBackendOptions {
  /** `postgres://…` */
  url: string;
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** `redis://…`: online profiles and contact counters go to Redis instead of PostgreSQL. */
  cacheUrl?: string;
  /** Prefix of every Redis key (default `nextbest:`). */
  cachePrefix?: string;
}

/**
 * Opens every port on one pool. Migrates first (a no-op when up to date, once even when
 * several instances start together), so an instance never runs on an older schema.
 */
export async function openPostgresBackend(o: PostgresBackendOptions): Promise<PostgresBackend> {
  const schema = o.schema ?? DEFAULT_PG_SCHEMA;
  const pool = openPgPool({ url: o.url, schema, ...(o.poolSize ? { max: o.poolSize } : {}) });
  try {
    await migrate(pool, schema);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const redis = o.cacheUrl ? openRedis(o.cacheUrl) : undefined;
  const prefix = o.cachePrefix !== undefined ? { prefix: o.cachePrefix } : {};
  const ports = {
    eventLog: new PgEventLog(pool),
    customers: new PgCustomerStore(pool),
    rejects: new PgRejectStore(pool),
    profiles: redis ? new RedisProfileStore(redis, prefix) : new PgProfileStore(pool),
    contacts: redis ? new RedisContactStore(redis, prefix) : new PgContactStore(pool),
    decisionLog: new PgDecisionLog(pool),
    models: new PgModelRegistry(pool),
    catalogue: new PgCatalogueStore(pool),
    checkpoints: new PgConsumerCheckpoints(pool),
  };
  let closed = false;
  return {
    kind: 'postgres',
    ...ports,
    async close() {
      if (closed) return;
      closed = true;
      // The decision log first: it waits for its batch in flight. Ports do not own the
      // pool or the connection (no ownsPool), so each close is cheap; then both end.
      await ports.decisionLog.close();
      for (const p of Object.values(ports)) await p.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      await pool.end();
    },
  };
}
