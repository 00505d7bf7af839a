/**
 * The CatalogueStore port: every version of the action catalogue (actions, policies, levers,
 * contact policy: the whole object), each stored once under its content hash, and a
 * `current` pointer that moves only by compare-and-set, so two processes editing at once
 * cannot lose an edit. The catalogue is opaque here: decisioning owns its schema and its
 * version id (a hash of the canonical JSON); the store keeps the canonical JSON.
 */
import { NextbestError } from '../core/errors.js';

/** Where a version came from: the first start (config YAML), the HTTP API, or `nextbest catalogue import`. */
export const CATALOGUE_SOURCES = ['config', 'api', 'import'] as const;
export type CatalogueSource = (typeof CATALOGUE_SOURCES)[number];

/** One stored version, without its body (listings). */
export interface CatalogueVersionInfo {
  version: string;
  /** Epoch ms when this version was first stored. */
  createdAt: number;
  /** Who made it, when known (the API's keys are anonymous: null there). */
  author: string | null;
  source: CatalogueSource;
  /** The version that was current when this one was made; null for the first. */
  replaces: string | null;
}

/** One stored version with its catalogue. */
export interface StoredCatalogueVersion extends CatalogueVersionInfo {
  catalogue: unknown;
}

/** A version to commit: `catalogue` is stored as canonical JSON. */
export interface NewCatalogueVersion {
  version: string;
  catalogue: unknown;
  createdAt: number;
  author: string | null;
  source: CatalogueSource;
}

export interface CatalogueStore {
  /**
   * Stores the version (once: a version already stored keeps its first record) and makes
   * it current, if the current version is still `expected` (null: the store is empty).
   * Otherwise stores nothing and throws CONFLICT. Returns the stored record.
   */
  commit(next: NewCatalogueVersion, expected: string | null): Promise<CatalogueVersionInfo>;
  /** The current version id, or undefined while the store is empty. Cheap: decisioning polls it. */
  currentVersion(): Promise<string | undefined>;
  /** One version with its catalogue, or undefined. */
  get(version: string): Promise<StoredCatalogueVersion | undefined>;
  /** Stored versions, most recently stored first. */
  list(options?: { limit?: number }): Promise<CatalogueVersionInfo[]>;
  close(): Promise<void>;
}

/** The CONFLICT a lost compare-and-set throws: the caller read an older current version. */
export function catalogueChanged(expected: string | null, current: string | undefined): NextbestError {
  return new NextbestError('CONFLICT', `the catalogue changed under this edit: expected current version ${expected ?? '(none)'}, found ${current ?? '(none)'}; read it again and retry`, {
    expected,
    current: current ?? null,
  });
}

/** The CONFLICT for a version id already stored with other content (a bug, or a hash collision). */
export function versionClash(version: string): NextbestError {
  return new NextbestError('CONFLICT', `catalogue version ${version} is already stored with other content; versions are immutable`, { version });
}
