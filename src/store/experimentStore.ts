/**
 * The ExperimentStore port: experiment definitions by id, each with a revision that moves
 * by compare-and-set (two people editing one experiment cannot lose an edit), and the
 * universal control group's settings. Definitions are opaque here: src/experiments owns
 * their schema; the store keeps canonical JSON.
 */
import { NextbestError } from '../core/errors.js';

/** One stored experiment. */
export interface StoredExperiment {
  id: string;
  /** 1 for a new experiment, +1 on every change. */
  revision: number;
  createdAt: number;
  updatedAt: number;
  definition: unknown;
}

export interface ExperimentStore {
  /**
   * Stores the definition if the stored revision is still `expectedRevision` (0: the
   * experiment must not exist yet). Otherwise stores nothing and throws CONFLICT.
   */
  put(id: string, definition: unknown, expectedRevision: number, now: number): Promise<StoredExperiment>;
  get(id: string): Promise<StoredExperiment | undefined>;
  /** Every experiment, oldest first. */
  list(): Promise<StoredExperiment[]>;
  /** Deletes it if still at `expectedRevision`; false when it does not exist. */
  remove(id: string, expectedRevision: number): Promise<boolean>;
  /** Store-wide settings (the universal control group), opaque; undefined until set. */
  settings(): Promise<unknown>;
  putSettings(settings: unknown): Promise<void>;
  close(): Promise<void>;
}

/** The CONFLICT a lost compare-and-set throws. */
export function experimentChanged(id: string, expected: number, found: number | undefined): NextbestError {
  const what = found === undefined ? 'does not exist' : `is at revision ${found}`;
  return new NextbestError('CONFLICT', `experiment ${id} changed under this edit: expected revision ${expected}, it ${what}; read it again and retry`, { id, expected, found: found ?? null });
}

/** An experiment as both SQL adapters store it (the definition as canonical JSON text). */
export interface ExperimentRow {
  id: string;
  revision: number;
  created_at: number;
  updated_at: number;
  body: string;
}

/** A stored row as the port's record. */
export function experimentFromRow(r: ExperimentRow): StoredExperiment {
  return { id: r.id, revision: r.revision, createdAt: r.created_at, updatedAt: r.updated_at, definition: JSON.parse(r.body) as unknown };
}
