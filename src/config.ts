import { z } from 'zod';
import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { NextbestError } from './core/errors.js';
import { Channel, ConsentPurpose, EVENT_TYPES, type EventType } from './core/events.js';
import { fieldIssues } from './core/validate.js';
import { BanditSettings } from './decisioning/bandit.js';
import { describeIssues } from './core/errors.js';

/** The one configuration schema. Every field has a default that works with no file at all. */
export const ConfigSchema = z
  .object({
    /** Where the embedded store keeps its files. */
    dataDir: z.string().min(1).default('./.nextbest'),
    /**
     * `sqlite` (embedded, durable), `memory` (tests, simulations), or a `postgres://…` URL
     * (shared by several instances; `?schema=NAME` picks the schema, default `nextbest`).
     */
    store: z
      .string()
      .refine((s) => s === 'sqlite' || s === 'memory' || /^postgres(ql)?:\/\/./.test(s), { message: 'must be sqlite, memory or a postgres:// URL' })
      .default('sqlite'),
    /** `redis://…`: online profiles and contact counters in Redis (`?prefix=P` names the keys, default `nextbest:`); PostgreSQL stores only. */
    cache: z
      .string()
      .regex(/^rediss?:\/\/./, { message: 'must be a redis:// or rediss:// URL' })
      .optional(),
    /**
     * `nats://HOST:PORT?stream=NAME&partitions=N&lease_ms=MS`: NATS JetStream as the bus between
     * instances (PostgreSQL stores only): the log is published to it and the consumers are split
     * by customer partition across the instances (docs/postgres-redis.md).
     */
    bus: z
      .string()
      .regex(/^nats:\/\/./, { message: 'must be a nats:// URL' })
      .optional(),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        bodyLimitBytes: z.number().int().positive().default(16 * 1024 * 1024),
        maxBatch: z.number().int().positive().default(10_000),
        /** Plain keys (env NEXTBEST_API_KEYS), accepted as admin keys; prefer hashed keys from `nextbest keys create`. */
        apiKeys: z.array(z.string().min(16)).default([]),
        /**
         * `keys`: every /v1 route needs an API key or bearer token carrying its scope.
         * `none`: no checks at all, refused unless the server binds a loopback address.
         */
        auth: z.enum(['keys', 'none']).default('keys'),
        /** Bearer JWTs from the bank's identity provider, checked with `jose`; scopes from the `scope` claim. */
        jwt: z
          .object({
            issuer: z.string().min(1),
            audience: z.string().min(1),
            /** The provider's JWKS endpoint (keys fetched and cached). */
            jwksUrl: z.url().optional(),
            /** Or one PEM public key (SPKI), for providers without JWKS and for tests. */
            publicKey: z.string().min(1).optional(),
            /** The claim holding the scopes: a space-separated string or an array. */
            scopeClaim: z.string().min(1).default('scope'),
            clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
          })
          .strict()
          .refine((j) => (j.jwksUrl === undefined) !== (j.publicKey === undefined), { message: 'set exactly one of jwksUrl and publicKey' })
          .optional(),
        /** Requests allowed per window, per caller (key, token subject) and per customer id in a route; max 0 turns a limit off. */
        rateLimit: z
          .object({
            perKey: z.object({ max: z.number().int().min(0).default(5000), windowSeconds: z.number().int().positive().default(1) }).strict().prefault({}),
            perCustomer: z.object({ max: z.number().int().min(0).default(600), windowSeconds: z.number().int().positive().default(60) }).strict().prefault({}),
          })
          .strict()
          .prefault({}),
        /** Origins allowed to call the API from a browser; CORS is off when empty. */
        corsOrigins: z.array(z.string().min(1)).default([]),
        /** Slow or idle clients are cut off: headers, whole request, idle keep-alive, idle socket. */
        timeouts: z
          .object({
            headersMs: z.number().int().positive().default(10_000),
            requestMs: z.number().int().positive().default(30_000),
            keepAliveMs: z.number().int().positive().default(72_000),
            idleSocketMs: z.number().int().positive().default(120_000),
          })
          .strict()
          .refine((t) => t.headersMs <= t.requestMs, { message: 'headersMs may not exceed requestMs' })
          .prefault({}),
        maxConnections: z.number().int().positive().default(2048),
        /** Deeper JSON bodies are refused with JSON_TOO_DEEP before they are parsed. */
        maxJsonDepth: z.number().int().min(2).max(1000).default(64),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        /** How far in the future an event's occurredAt may be (clock skew); at most a day, as nothing after tomorrow is plausible. */
        maxFutureSeconds: z.number().int().min(0).max(86_400).default(300),
        /** The largest plausible amount in minor units, either sign (quality rule amount_limit). */
        maxAmountMinor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(1_000_000_000_000),
      })
      .strict()
      .prefault({}),
    features: z
      .object({
        /** A YAML or JSON file of feature definitions (docs/features.md); the bank pack when unset. */
        definitions: z.string().min(1).optional(),
        /** Commit changed profiles after this many events; a crash replays at most this many from the log. */
        checkpointEvents: z.number().int().positive().default(50_000),
        /** The memory budget of the online store: customers' states held in memory (least recently used are dropped to the profile store past it). */
        maxCustomersInMemory: z.number().int().positive().default(1_000_000),
        /**
         * Customers kept decoded between batches (a write-back cache over the packed states): more
         * costs about 10-30 KB of heap each and saves decoding and packing a state again when its
         * customer's next event comes (docs/features.md: memory against CPU per event).
         */
        decodedCacheSize: z.number().int().positive().default(2_048),
      })
      .strict()
      .prefault({}),
    decisioning: z
      .object({
        /** A YAML action catalogue (docs/decisioning.md); the built-in bank catalogue when unset. */
        catalogue: z.string().min(1).optional(),
        /** Exploration budgets per channel and how the bandit learns (docs/bandits.md); unset: the deterministic engine. */
        bandit: BanditSettings,
      })
      .strict()
      .prefault({}),
    training: z
      .object({
        /**
         * Threads a training run uses: 1 trains on the main thread alone; N boosts GBDTs on N-1
         * worker threads while the main thread builds the next job's data (decision 0026). The
         * models are the same either way. Default: 2, or 1 on a one-core machine.
         */
        threads: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(() => Math.min(2, availableParallelism())),
      })
      .strict()
      .prefault({}),
    models: z
      .object({
        /** Scheduled drift checks of the champions (docs/model-lifecycle.md). */
        drift: z
          .object({
            /** Check every this many minutes while the engine runs (0: only on demand, `nextbest models drift`). */
            everyMinutes: z.number().int().min(0).default(0),
            /** Days of recent outcomes each check compares with the model's reference. */
            days: z.number().int().positive().max(3650).default(30),
            /** Retrain a drifted model on the most recent `retrainDays` of the log, as a candidate. */
            retrain: z.boolean().default(false),
            retrainDays: z.number().int().positive().max(3650).default(120),
            /** Serve the retrained model at once when the promotion guard allows it (otherwise a person promotes it). */
            promote: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    privacy: z
      .object({
        /**
         * Days each event type is kept (by event time); a type not listed is kept until the
         * customer is erased. The purge job (`nextbest privacy purge`, or `retentionEveryMinutes`) applies it.
         */
        retentionDays: z.partialRecord(z.enum(EVENT_TYPES as [EventType, ...EventType[]]), z.number().int().positive().max(36_500)).default({}),
        /** Days a quarantined item is kept for an engineer to see. */
        quarantineDays: z.number().int().positive().max(3650).default(30),
        /** The quarantine keeps at most this many items (the newest); a flood of bad input cannot fill the disk. */
        quarantineMax: z.number().int().positive().default(100_000),
        /**
         * A consent purpose model training relies on, when the bank's lawful basis for training
         * is consent: customers who withheld it are left out of training sets. Unset (the
         * default: training on legitimate interest), only an objection to profiling (Art. 21) does.
         */
        trainingPurpose: ConsentPurpose.optional(),
        /** Run the purge job this often while serving (0: only on demand). */
        retentionEveryMinutes: z.number().int().min(0).default(60),
      })
      .strict()
      .prefault({}),
    consumers: z
      .object({
        /** How long a profile or decision waits for derived state to reach the customer's latest event (then CONSUMER_LAG). */
        freshnessTimeoutMs: z.number().int().min(0).default(2000),
        /** `/readyz` says not ready when a consumer is further behind than this many events, or this many seconds. */
        maxLagEvents: z.number().int().positive().default(100_000),
        maxLagSeconds: z.number().positive().default(30),
      })
      .strict()
      .prefault({}),
    health: z
      .object({
        /** After a store refuses a write (disk full, I/O error), `/readyz` says not ready this long, then until a probe write succeeds. */
        writeFailureHoldSeconds: z.number().min(0).max(3600).default(30),
      })
      .strict()
      .prefault({}),
    triggers: z
      .object({
        /** Run the trigger consumer (event, threshold and life-event triggers) and the clock's absence sweep. */
        enabled: z.boolean().default(true),
        /** A YAML trigger set seeding an empty trigger store (docs/triggers.md); the ready-made three when unset. */
        file: z.string().min(1).optional(),
        /** Absence triggers are checked this often on the clock (0: never; `nextbest triggers sweep` on demand). */
        sweepSeconds: z.number().int().min(0).default(300),
        /** Events older than this (by occurredAt, against the clock) move trigger state but fire nothing: a backfill is not a moment. */
        maxEventAgeMinutes: z.number().int().positive().default(60),
        /** At most this many fires per event are decided (highest priority first): one moment, one message. */
        maxFiresPerEvent: z.number().int().min(1).max(10).default(1),
      })
      .strict()
      .prefault({}),
    delivery: z
      .object({
        /** Run the dispatcher for the push channels that have an adapter below. */
        dispatch: z.boolean().default(true),
        /** The dispatcher looks for due entries this often (and at once when a decision writes one). */
        pollMs: z.number().int().min(5).max(60_000).default(200),
        /** A dispatcher's lease on an entry it is sending; past it another dispatcher may take it. */
        leaseSeconds: z.number().int().min(2).max(3600).default(60),
        /** An entry not delivered within this many hours of its decision is dead-lettered as expired. */
        ttlHours: z.number().positive().max(24 * 90).default(72),
        backoff: z
          .object({ baseMs: z.number().int().positive().default(1_000), maxMs: z.number().int().positive().default(300_000), maxAttempts: z.number().int().min(1).max(100).default(10) })
          .strict()
          .prefault({}),
        breaker: z.object({ failures: z.number().int().min(1).default(5), openSeconds: z.number().positive().default(30) }).strict().prefault({}),
        /** Push channels delivered by signed HTTP POST (docs/channels.md): one per channel. */
        webhooks: z
          .array(
            z
              .object({
                channel: Channel,
                url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
                /** The HMAC secret (at least 32 bytes); prefer `secretEnv`. */
                secret: z.string().min(32, 'must be at least 32 characters').optional(),
                /** The environment variable holding the secret. */
                secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
                timeoutMs: z.number().int().positive().max(60_000).default(5_000),
              })
              .strict()
              .refine((w) => (w.secret === undefined) !== (w.secretEnv === undefined), { message: 'set exactly one of secret and secretEnv' }),
          )
          .default([])
          .refine((ws) => new Set(ws.map((w) => w.channel)).size === ws.length, { message: 'one webhook per channel' }),
        /** The email channel over SMTP (nodemailer); the relay resolves `<customerId>@recipientDomain` to the customer's address. */
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            secure: z.boolean().default(false),
            user: z.string().min(1).optional(),
            passEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
            from: z.string().min(3),
            recipientDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$|^localhost$/, 'must be a domain name'),
            timeoutMs: z.number().int().positive().max(60_000).default(10_000),
          })
          .strict()
          .optional(),
        /** Push channels delivered by NATS JetStream publish (a stream of the channel system binds the subject). */
        nats: z
          .array(
            z
              .object({
                channel: Channel,
                servers: z.string().regex(/^nats:\/\/./, { message: 'must be a nats:// URL' }),
                subject: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a NATS subject without wildcards'),
                timeoutMs: z.number().int().positive().max(60_000).default(5_000),
              })
              .strict(),
          )
          .default([]),
        /** The channels the bank's own front ends pull (`/v1/deliveries/pull/...`); not also pushed. */
        pullChannels: z.array(Channel).default(['in_app', 'chatbot', 'call_centre', 'branch']),
      })
      .strict()
      .prefault({}),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().prefault({}),
  })
  .strict()
  // The cache holds state the PostgreSQL instances share; an embedded store has nothing to share.
  .refine((c) => c.cache === undefined || /^postgres(ql)?:/.test(c.store), { message: 'a cache needs a postgres:// store', path: ['cache'] })
  // The bus splits consumers whose state the instances share: only a PostgreSQL store is shared.
  .refine((c) => c.bus === undefined || /^postgres(ql)?:/.test(c.store), { message: 'a bus needs a postgres:// store', path: ['bus'] });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Checks and freezes a config object; throws CONFIG_INVALID naming each bad field. */
export function parseConfig(input: ConfigInput = {}): Config {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    throw new NextbestError('CONFIG_INVALID', `invalid configuration: ${describeIssues(issues)}`, { issues });
  }
  return deepFreeze(parsed.data);
}

/**
 * Loads `nextbest.config.yaml` (or the given file) if it exists, then applies the
 * environment (NEXTBEST_DATA_DIR, NEXTBEST_STORE, NEXTBEST_CACHE, NEXTBEST_BUS, NEXTBEST_HOST, NEXTBEST_PORT,
 * NEXTBEST_LOG_LEVEL, NEXTBEST_API_KEYS comma-separated, NEXTBEST_AUTH), then `overrides`.
 */
export function loadConfig(file = 'nextbest.config.yaml', env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const fromFile = existsSync(file) ? ((parseYaml(readFileSync(file, 'utf8')) as ConfigInput | null) ?? {}) : {};
  const merged: Record<string, unknown> = structuredClone(fromFile) as Record<string, unknown>;
  const server = { ...((merged.server as object) ?? {}) } as Record<string, unknown>;
  if (env.NEXTBEST_DATA_DIR) merged.dataDir = env.NEXTBEST_DATA_DIR;
  if (env.NEXTBEST_STORE) merged.store = env.NEXTBEST_STORE;
  if (env.NEXTBEST_CACHE) merged.cache = env.NEXTBEST_CACHE;
  if (env.NEXTBEST_BUS) merged.bus = env.NEXTBEST_BUS;
  if (env.NEXTBEST_HOST) server.host = env.NEXTBEST_HOST;
  if (env.NEXTBEST_PORT) server.port = Number(env.NEXTBEST_PORT);
  if (env.NEXTBEST_API_KEYS) server.apiKeys = env.NEXTBEST_API_KEYS.split(',').filter(Boolean);
  if (env.NEXTBEST_AUTH) server.auth = env.NEXTBEST_AUTH;
  if (Object.keys(server).length > 0) merged.server = server;
  if (env.NEXTBEST_LOG_LEVEL) merged.log = { ...((merged.log as object) ?? {}), level: env.NEXTBEST_LOG_LEVEL };
  return parseConfig(mergeDeep(merged, overrides as Record<string, unknown>) as ConfigInput);
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? mergeDeep(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
