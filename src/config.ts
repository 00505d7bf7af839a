import { z } from 'zod';
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { NextbestError } from './core/errors.js';
import { fieldIssues } from './core/validate.js';
import { describeIssues } from './core/errors.js';

/** The one configuration schema. Every field has a default that works with no file at all. */
export const ConfigSchema = z
  .object({
    /** Where the embedded store keeps its files. */
    dataDir: z.string().min(1).default('./.nextbest'),
    /** `sqlite` (embedded, durable) or `memory` (tests, simulations). */
    store: z.enum(['sqlite', 'memory']).default('sqlite'),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        bodyLimitBytes: z.number().int().positive().default(16 * 1024 * 1024),
        maxBatch: z.number().int().positive().default(10_000),
        /** If set, requests must send `Authorization: Bearer <key>` with one of these. */
        apiKeys: z.array(z.string().min(16)).default([]),
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
      })
      .strict()
      .prefault({}),
    decisioning: z
      .object({
        /** A YAML action catalogue (docs/decisioning.md); the built-in bank catalogue when unset. */
        catalogue: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().prefault({}),
  })
  .strict();

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
 * environment (NEXTBEST_DATA_DIR, NEXTBEST_STORE, NEXTBEST_HOST, NEXTBEST_PORT,
 * NEXTBEST_LOG_LEVEL, NEXTBEST_API_KEYS comma-separated), then `overrides`.
 */
export function loadConfig(file = 'nextbest.config.yaml', env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const fromFile = existsSync(file) ? ((parseYaml(readFileSync(file, 'utf8')) as ConfigInput | null) ?? {}) : {};
  const merged: Record<string, unknown> = structuredClone(fromFile) as Record<string, unknown>;
  const server = { ...((merged.server as object) ?? {}) } as Record<string, unknown>;
  if (env.NEXTBEST_DATA_DIR) merged.dataDir = env.NEXTBEST_DATA_DIR;
  if (env.NEXTBEST_STORE) merged.store = env.NEXTBEST_STORE;
  if (env.NEXTBEST_HOST) server.host = env.NEXTBEST_HOST;
  if (env.NEXTBEST_PORT) server.port = Number(env.NEXTBEST_PORT);
  if (env.NEXTBEST_API_KEYS) server.apiKeys = env.NEXTBEST_API_KEYS.split(',').filter(Boolean);
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
