import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scope } from '../core/scopes.js';
import { isLive, type ApiKeyRecord, type ApiKeyStore, type Engine } from '../index.js';

/** Every key starts with this, so a leaked one is easy to recognise and scan for. */
export const KEY_PREFIX = 'nbk_';
const KEY_SHAPE = /^nbk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

/** Hex SHA-256 of a key: what the store keeps instead of the key. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Compares two hex SHA-256 digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/** The public id inside a key, or null when the string is not shaped like one of ours. */
export function keyIdOf(key: string): string | null {
  return KEY_SHAPE.exec(key)?.[1] ?? null;
}

export interface IssueOptions {
  name: string;
  scopes: Scope[];
  /** Epoch ms; null for a key that does not expire. */
  expiresAt: number | null;
}

/**
 * Creates a key with 256 bits of secret, stores only its hash, and returns the key: the
 * one moment it exists in the clear. Rotation is a new key, then revoking the old one.
 */
export async function issueApiKey(store: ApiKeyStore, o: IssueOptions, deps: { now: number; randomBytes?: (n: number) => Buffer }): Promise<{ key: string; record: ApiKeyRecord }> {
  const random = deps.randomBytes ?? cryptoRandomBytes;
  const id = random(6).toString('hex');
  const key = `${KEY_PREFIX}${id}_${random(32).toString('base64url')}`;
  const record: ApiKeyRecord = { id, name: o.name, scopes: [...new Set(o.scopes)], hash: sha256Hex(key), createdAt: deps.now, expiresAt: o.expiresAt, revokedAt: null };
  await store.add(record);
  return { key, record };
}

/** Where `serve` leaves the first admin key (mode 0600), as Jupyter leaves its token. */
export const adminKeyFile = (dataDir: string) => join(dataDir, 'admin.key');

/**
 * Secure by default: when nothing could authenticate a caller (no live key, no configured
 * key, no identity provider), creates an admin key, writes it to a 0600 file in the data
 * dir and returns it so the caller prints it once. Returns null when keys already exist.
 */
export async function ensureAdminKey(engine: Engine, now: number): Promise<{ key: string; file: string | null } | null> {
  const server = engine.config.server;
  if (server.auth === 'none' || server.apiKeys.length > 0 || server.jwt) return null;
  const keys = await engine.apiKeys.list();
  if (keys.some((k) => isLive(k, now) && k.scopes.length > 0)) return null;
  const { key, record } = await issueApiKey(engine.apiKeys, { name: 'bootstrap-admin', scopes: ['admin'], expiresAt: null }, { now });
  await engine.audit.record({ actor: 'system', action: 'key.create', target: record.id, before: null, after: { name: record.name, scopes: record.scopes } });
  // A memory store forgets the key on exit, so a file would only mislead.
  if (engine.config.store === 'memory') return { key, file: null };
  const file = adminKeyFile(engine.config.dataDir);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above applies only when the file is new
  return { key, file };
}

/** The admin key file, if `serve` wrote one earlier. */
export function existingAdminKeyFile(dataDir: string): string | null {
  const file = adminKeyFile(dataDir);
  return existsSync(file) ? file : null;
}
