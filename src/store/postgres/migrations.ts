import type { PgPool } from './db.js';
import { SECURITY_PG_MIGRATIONS } from './securityMigrations.js';

/**
 * The PostgreSQL schema, as versioned migrations applied in order by `migrate` and
 * recorded in `schema_migrations`. A migration, once released, is never edited: a change
 * is a new version. Epoch-ms times are bigint; records the modules own are JSON text,
 * kept byte for byte; ids that are paged or sorted are COLLATE "C" so their order is the
 * same as JavaScript's whatever the database locale.
 */
export const PG_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'event log, customers, quarantine',
    sql: `
      -- Split by month of event time; partitions are created on demand (partitions.ts).
      -- A unique index on a partitioned table must include the partition key, so eventId
      -- uniqueness lives in event_ids, with a digest of the body for the idempotency check.
      CREATE SEQUENCE event_seq;
      CREATE TABLE events (
        seq bigint NOT NULL,
        event_id text NOT NULL,
        customer_id text NOT NULL,
        type text NOT NULL,
        t bigint NOT NULL,
        recorded_at bigint NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (t, seq)
      ) PARTITION BY RANGE (t);
      CREATE INDEX events_customer_time ON events (customer_id, t, seq);
      CREATE INDEX events_seq ON events (seq);
      CREATE INDEX events_consent ON events (customer_id, t, seq) WHERE type = 'consent_change';
      CREATE TABLE event_ids (
        event_id text PRIMARY KEY,
        seq bigint NOT NULL,
        customer_id text NOT NULL,
        digest bytea NOT NULL
      );
      CREATE INDEX event_ids_customer ON event_ids (customer_id);
      CREATE TABLE customers (customer_id text PRIMARY KEY, body text NOT NULL, updated_at bigint NOT NULL);
      CREATE TABLE erased_customers (customer_id text PRIMARY KEY, erased_at bigint NOT NULL);
      CREATE TABLE rejects (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at bigint NOT NULL,
        source text NOT NULL,
        event_id text,
        customer_id text,
        issues text NOT NULL,
        raw text NOT NULL
      );
      CREATE INDEX rejects_customer ON rejects (customer_id);`,
  },
  {
    version: 2,
    name: 'feature profiles, contacts and capacity',
    sql: `
      CREATE TABLE feature_profiles (customer_id text COLLATE "C" PRIMARY KEY, state bytea NOT NULL);
      CREATE TABLE feature_checkpoint (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, version text NOT NULL);
      CREATE TABLE contacts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id text NOT NULL,
        at bigint NOT NULL,
        decision_id text NOT NULL,
        action_id text NOT NULL,
        family text NOT NULL,
        channel text NOT NULL,
        session_id text
      );
      CREATE INDEX contacts_customer_time ON contacts (customer_id, at);
      CREATE TABLE declines (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id text NOT NULL,
        at bigint NOT NULL,
        action_id text NOT NULL,
        family text NOT NULL
      );
      CREATE INDEX declines_customer_time ON declines (customer_id, at);
      CREATE TABLE capacity_counters (key text PRIMARY KEY, used bigint NOT NULL);`,
  },
  {
    version: 3,
    name: 'decision log',
    sql: `
      -- Split by month of decision time, as events; decision_ids holds the unique id.
      CREATE TABLE decision_ids (decision_id text PRIMARY KEY, customer_id text NOT NULL, decided_at bigint NOT NULL);
      CREATE INDEX decision_ids_customer ON decision_ids (customer_id);
      CREATE TABLE decisions (
        decision_id text NOT NULL,
        customer_id text NOT NULL,
        channel text NOT NULL,
        decided_at bigint NOT NULL,
        catalogue_version text NOT NULL,
        record text NOT NULL,
        PRIMARY KEY (decided_at, decision_id)
      ) PARTITION BY RANGE (decided_at);
      CREATE INDEX decisions_customer_time ON decisions (customer_id, decided_at);
      CREATE TABLE decision_responses (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        decision_id text NOT NULL REFERENCES decision_ids (decision_id) ON DELETE CASCADE,
        action_id text NOT NULL,
        channel text NOT NULL,
        response text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX decision_responses_decision ON decision_responses (decision_id, at);
      CREATE TABLE decision_catalogues (version text PRIMARY KEY, body text NOT NULL);`,
  },
  {
    version: 4,
    name: 'model registry, catalogue versions',
    sql: `
      CREATE TABLE models (
        id text COLLATE "C" PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        version int NOT NULL,
        stage text NOT NULL CHECK (stage IN ('candidate', 'champion', 'retired')),
        created_at text COLLATE "C" NOT NULL,
        promoted_at text,
        retired_at text,
        meta text NOT NULL,
        artefact text NOT NULL,
        drift_reference text NOT NULL,
        UNIQUE (name, version)
      );
      CREATE UNIQUE INDEX models_one_champion ON models (name) WHERE stage = 'champion';
      CREATE TABLE model_stage_changes (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        model_id text NOT NULL REFERENCES models (id),
        action text NOT NULL,
        at text NOT NULL
      );
      CREATE TABLE catalogue_versions (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version text NOT NULL UNIQUE,
        body text NOT NULL,
        created_at bigint NOT NULL,
        author text,
        source text NOT NULL,
        replaces text
      );
      CREATE TABLE catalogue_current (id int PRIMARY KEY CHECK (id = 1), version text NOT NULL REFERENCES catalogue_versions (version), changed_at bigint NOT NULL);`,
  },
  {
    version: 5,
    name: 'consumer checkpoints',
    sql: `CREATE TABLE consumer_checkpoints (name text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL);`,
  },
  {
    version: 6,
    name: 'model promotion notes',
    sql: `ALTER TABLE model_stage_changes ADD COLUMN note text;`,
  },
  {
    version: 7,
    name: 'declines once per event',
    sql: `ALTER TABLE declines ADD COLUMN event_id text;
      CREATE UNIQUE INDEX declines_event ON declines (event_id) WHERE event_id IS NOT NULL;`,
  },
  {
    version: 8,
    name: 'api keys',
    sql: `
      -- Only the SHA-256 of a key is stored; scopes are a JSON array as in keys.db.
      CREATE TABLE api_keys (
        id text COLLATE "C" PRIMARY KEY,
        name text NOT NULL,
        scopes text NOT NULL,
        hash text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint
      );`,
  },
  {
    version: 9,
    name: 'bus partitions and leases',
    sql: `
      -- One row per partition of the customers (and partition -1: the relay that publishes
      -- the log to NATS). An instance owns a row while lease_until is ahead of now(), the
      -- database's clock, so instances never compare their own clocks.
      CREATE TABLE bus_partitions (
        partition int PRIMARY KEY,
        owner text,
        lease_until timestamptz,
        -- the last log seq of this partition applied by its consumers (row -1: unused)
        applied_seq bigint NOT NULL DEFAULT 0,
        -- the last log seq of this partition the relay has published (row -1: the relay's checkpoint)
        published_seq bigint NOT NULL DEFAULT 0
      );
      CREATE TABLE bus_instances (id text PRIMARY KEY, seen_at timestamptz NOT NULL);
      -- The online feature checkpoint of one partition, committed with its profiles.
      CREATE TABLE feature_partition_checkpoints (partition int PRIMARY KEY, seq bigint NOT NULL, version text NOT NULL);`,
  },
  {
    version: 10,
    name: 'experiments',
    sql: `
      -- Definitions are canonical JSON owned by src/experiments; seq keeps the listing in creation order.
      CREATE TABLE experiments (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text COLLATE "C" PRIMARY KEY,
        revision int NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        body text NOT NULL
      );
      CREATE TABLE experiment_settings (id int PRIMARY KEY CHECK (id = 1), body text NOT NULL);`,
  },
  {
    version: 11,
    name: 'drift checks over time',
    sql: `
      CREATE TABLE model_drift_checks (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        model_id text NOT NULL,
        checked_at text NOT NULL,
        body text NOT NULL
      );
      CREATE INDEX model_drift_checks_model ON model_drift_checks (model_id, seq);`,
  },
  {
    version: 12,
    name: 'delivery outbox',
    sql: `
      -- Written in the transaction of the contact it delivers (PgContactStore.commit).
      CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        key text COLLATE "C" PRIMARY KEY,
        decision_id text NOT NULL,
        action_id text NOT NULL,
        customer_id text NOT NULL,
        channel text NOT NULL,
        worklist text NOT NULL,
        message text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint,
        status text NOT NULL,
        attempts int NOT NULL,
        due_at bigint NOT NULL,
        leased_by text,
        lease_until bigint,
        last_error text,
        settled_at bigint
      );
      CREATE INDEX outbox_due ON outbox (channel, due_at) WHERE status IN ('pending', 'leased');
      CREATE INDEX outbox_customer ON outbox (customer_id, created_at);
      CREATE INDEX outbox_seq ON outbox (seq);`,
  },
  {
    version: 13,
    name: 'trigger state and journeys',
    sql: `
      -- The trigger module's own records (fires, readings, journeys) are JSON text it owns.
      CREATE TABLE trigger_fires (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        fire_id text COLLATE "C" PRIMARY KEY,
        customer_id text NOT NULL,
        at bigint NOT NULL,
        fire text NOT NULL,
        outcome text NOT NULL,
        pending boolean NOT NULL
      );
      CREATE INDEX trigger_fires_customer ON trigger_fires (customer_id, at);
      CREATE INDEX trigger_fires_pending ON trigger_fires (pending) WHERE pending;
      CREATE INDEX trigger_fires_at ON trigger_fires (at);
      CREATE TABLE trigger_readings (customer_id text PRIMARY KEY, readings text NOT NULL);
      CREATE TABLE trigger_seen (customer_id text NOT NULL, type text NOT NULL, at bigint NOT NULL, PRIMARY KEY (customer_id, type));
      CREATE TABLE trigger_definitions (id text COLLATE "C" PRIMARY KEY, body text NOT NULL, updated_at bigint NOT NULL);
      CREATE TABLE journeys (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        journey_id text COLLATE "C" PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL,
        next_at bigint,
        waiting boolean NOT NULL,
        started_at bigint NOT NULL,
        body text NOT NULL
      );
      CREATE INDEX journeys_customer ON journeys (customer_id, started_at);
      CREATE INDEX journeys_due ON journeys (next_at) WHERE status = 'active';`,
  },
  {
    version: 14,
    name: 'contact reservations',
    sql: `
      -- A committed decision's contacts waiting for its record (ContactStore.confirm); recovery retracts those never logged.
      CREATE TABLE contact_reservations (
        decision_id text PRIMARY KEY,
        customer_id text NOT NULL,
        at bigint NOT NULL,
        capacity_keys text NOT NULL
      );
      CREATE INDEX contact_reservations_at ON contact_reservations (at);`,
  },
  {
    version: 16,
    name: 'chosen actions of a decision as an indexed column',
    sql: `
      -- Records are packed by the decisioning module (decisioning/storedRecord.ts): searches
      -- and reports filter on the chosen action ids here, never inside the record.
      ALTER TABLE decisions ADD COLUMN chosen_actions text[] NOT NULL DEFAULT '{}';
      UPDATE decisions SET chosen_actions = ARRAY(
        SELECT c ->> 'actionId' FROM jsonb_array_elements(record::jsonb -> 'chosen') AS c WHERE jsonb_typeof(c -> 'actionId') = 'string')
        WHERE jsonb_typeof(record::jsonb -> 'chosen') = 'array';
      CREATE INDEX decisions_chosen ON decisions USING gin (chosen_actions);`,
  },
  // Erasure and the audit trail (securityMigrations.ts), numbered from 101.
  ...SECURITY_PG_MIGRATIONS,
];

/**
 * Brings the pool's schema up to the latest version: creates the schema if needed and
 * applies the missing migrations in one transaction (PostgreSQL DDL is transactional: a
 * failed migration leaves the schema as it was). An advisory lock makes two instances
 * starting together apply each migration once. Returns the versions applied.
 */
export async function migrate(pool: PgPool, schema: string): Promise<number[]> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema "${schema}" must be a lower-case SQL identifier`);
  const c = await pool.connect();
  const applied: number[] = [];
  try {
    await c.query('BEGIN');
    // Keyed by the schema's name, not current_schema(): that is null until the schema exists.
    await c.query("SELECT pg_advisory_xact_lock(hashtext('nextbest.migrate'), hashtext($1))", [schema]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of PG_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await c.query('SAVEPOINT m');
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await c.query('RELEASE SAVEPOINT m');
      applied.push(m.version);
    }
    await c.query('COMMIT');
    return applied;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/** The versions recorded in `schema_migrations`, oldest first (empty before the first migrate). */
export async function appliedMigrations(pool: PgPool): Promise<number[]> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return [];
  return (await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
}
