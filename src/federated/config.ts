/**
 * The YAML configs of `nextbest federated participant` and `coordinator`, one zod schema
 * each: parsed once, every bad field named. Tokens may come from the environment
 * (`tokenEnv`) so they need not sit in a file.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { ParticipantName } from './protocol.js';

const name = ParticipantName;
const token = { token: z.string().min(16).optional(), tokenEnv: z.string().min(1).optional() };

const CsvData = z.strictObject({
  csv: z.string().min(1),
  features: z.array(z.string().min(1)).min(1),
  target: z.string().min(1),
  /** The target value that is a positive (default "1"). */
  positive: z.string().default('1'),
  /** A column with `train` / `test` per row (others are ignored); without it every row trains. */
  splitColumn: z.string().optional(),
});
const StoreData = z.strictObject({
  /** The bank's nextbest data dir (embedded store) and config file. */
  dataDir: z.string().optional(),
  config: z.string().default('nextbest.config.yaml'),
  /** The action family whose take-up the model predicts (registered as `propensity_<family>`). */
  family: z.string().regex(/^[a-z][a-z0-9_]{0,50}$/, 'an action family name'),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  /** Register the finished model in the bank's registry as a candidate (default true). */
  register: z.boolean().default(true),
});

export const ParticipantConfig = z.strictObject({
  name,
  listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(7400) }).default({ host: '127.0.0.1', port: 7400 }),
  ...token,
  tls: z.strictObject({ key: z.string(), cert: z.string() }).optional(),
  /** Ed25519 identity (`nextbest federated keygen`): the private key file, and the other participants' public keys. */
  identity: z
    .strictObject({ key: z.string(), peers: z.record(name, z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url Ed25519 public key')) })
    .optional(),
  data: z.union([CsvData, StoreData]),
});
export type ParticipantConfig = z.infer<typeof ParticipantConfig>;

export const CoordinatorConfig = z.strictObject({
  participants: z
    .array(z.strictObject({ name, url: z.url(), ...token, pin: z.string().regex(/^([0-9A-Fa-f]{2}:?){32}$/, 'a SHA-256 fingerprint in hex').optional(), ca: z.string().optional() }))
    .min(2, 'a federation needs at least two participants'),
  params: z.record(z.string(), z.unknown()).default({}),
  cuts: z.union([z.literal('sketch'), z.array(z.array(z.number()).min(1))]).default('sketch'),
  privacy: z.strictObject({ epsilon: z.number().positive(), delta: z.number().positive().max(0.1) }).nullable().default(null),
  minParticipants: z.number().int().min(2).default(2),
  timeoutMs: z.number().int().min(100).default(60_000),
  /** Fields of the model card (title, intendedUse, outOfScope) sent to the participants with the model. */
  card: z.record(z.string(), z.string()).default({}),
  /** Where to write the model (nextbest-gbdt JSON); optional. */
  out: z.string().optional(),
});
export type CoordinatorConfig = z.infer<typeof CoordinatorConfig>;

/** Reads and checks a YAML config; relative paths inside it stay relative to the file. */
export function loadYamlConfig<S extends z.ZodType>(schema: S, path: string): { config: z.infer<S>; base: string } {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ValidationError([{ field: '', rule: 'format', message: `${path}: ${(e as Error).message}` }]);
  }
  const parsed = schema.safeParse(doc ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), `${path}: ${fieldIssues(parsed.error).map((i) => `${i.field || '(config)'}: ${i.message}`).join('; ')}`);
  return { config: parsed.data, base: dirname(resolve(path)) };
}

/** A path from a config file, relative to the file. */
export const fromConfig = (base: string, p: string) => (isAbsolute(p) ? p : resolve(base, p));

/** The token of a participant entry: inline, or from the environment variable named. */
export function tokenOf(entry: { token?: string | undefined; tokenEnv?: string | undefined }, env: NodeJS.ProcessEnv, field: string): string {
  const t = entry.token ?? (entry.tokenEnv ? env[entry.tokenEnv] : undefined);
  if (!t || t.length < 16) throw new ValidationError([{ field, rule: 'token', message: `needs token (16+ characters) or tokenEnv naming a set environment variable${entry.tokenEnv ? ` (${entry.tokenEnv} is unset or short)` : ''}` }]);
  return t;
}
