import type { Scope } from '../core/scopes.js';

/**
 * One API key as stored: never the key itself, only the SHA-256 of it. The id is the
 * public part of the key (`nbk_<id>_<secret>`), so a lookup needs no secret comparison
 * in the database; the hash is compared in constant time by the caller.
 */
export interface ApiKeyRecord {
  id: string;
  /** A label saying who holds the key, e.g. `crm-batch` or `bootstrap-admin`. */
  name: string;
  scopes: Scope[];
  /** Hex SHA-256 of the whole key string. */
  hash: string;
  createdAt: number;
  /** Epoch ms after which the key is refused; null for no expiry. */
  expiresAt: number | null;
  /** Epoch ms of revocation; null while the key is live. */
  revokedAt: number | null;
}

/** Where API keys live. Rotation is create + revoke; nothing is ever updated but `revokedAt`. */
export interface ApiKeyStore {
  add(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, newest first, revoked and expired ones included. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked at `at`; false when there is no such key or it was already revoked. */
  revoke(id: string, at: number): Promise<boolean>;
  close(): Promise<void>;
}

/** True when the key is neither revoked nor expired at `now`. */
export function isLive(k: ApiKeyRecord, now: number): boolean {
  return k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now);
}

/** A key as both SQL adapters store it (scopes as JSON text, times as epoch ms). */
export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** A stored row as the port's record. */
export const apiKeyFromRow = (r: ApiKeyRow): ApiKeyRecord => ({ id: r.id, name: r.name, scopes: JSON.parse(r.scopes) as Scope[], hash: r.hash, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at });
