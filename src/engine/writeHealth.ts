/**
 * Whether the stores take writes. A write that fails for want of storage (disk full, an I/O
 * error, a read-only file system or database) makes the instance not ready, so a load
 * balancer sends traffic elsewhere instead of it answering 500 while `/readyz` says ready.
 * It stays not ready for `holdMs`, then until a probe write succeeds: a disk that filled up
 * does not recover because one small write fitted.
 */
import { NextbestError } from '../core/errors.js';

/** SQLite result codes, Node's errno names and PostgreSQL SQLSTATEs that mean the storage refused a write. */
const STORAGE_CODES = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', '53100', '58030', '25006']);
/** SQLite's extended codes add a suffix (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED). */
const SQLITE_STORAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT)(_|$)/;
const STORAGE_MESSAGE = /database or disk is full|disk I\/O error|no space left on device|attempt to write a readonly database|read-only file system|could not extend file|disk quota exceeded/i;

/** True for an error that says the storage refused a write (as opposed to a bug or bad input). */
export function isStorageFailure(e: unknown): boolean {
  if (e instanceof NextbestError) return e.code === 'STORE_WRITE_FAILED';
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (STORAGE_CODES.has(code) || SQLITE_STORAGE.test(code))) return true;
  return STORAGE_MESSAGE.test(e.message);
}

export interface WriteFailure {
  /** Epoch ms (operational clock) of the latest failure. */
  at: number;
  /** What failed: `ingest`, `decide`, `erase` … */
  what: string;
  message: string;
  /** Failures since the stores last took a write. */
  count: number;
}

export class WriteHealth {
  private failure: WriteFailure | null = null;

  constructor(
    /** Operational time (ms): the wall clock, not the engine's domain clock. */
    private readonly now: () => number,
    /** A small write to the stores; throws when they refuse it. */
    private readonly probe: () => Promise<void>,
    /** How long a failure keeps the instance not ready before a probe may clear it. */
    private readonly holdMs: number,
  ) {}

  /** Runs a write; a storage failure is remembered and thrown as STORE_WRITE_FAILED (503), anything else as it was. */
  async watch<T>(what: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isStorageFailure(e)) throw e;
      this.failed(what, e);
      if (e instanceof NextbestError) throw e;
      throw new NextbestError('STORE_WRITE_FAILED', `a store refused the write (${(e as Error).message}); nothing of this request was kept, retry later`, { what });
    }
  }

  /** Records a storage failure seen elsewhere (a consumer, a purge). */
  failed(what: string, e: unknown): void {
    this.failure = { at: this.now(), what, message: e instanceof Error ? e.message : String(e), count: (this.failure?.count ?? 0) + 1 };
  }

  /** Null when the stores take writes; else the latest failure. Probes once the hold has passed. */
  async check(): Promise<WriteFailure | null> {
    const f = this.failure;
    if (f === null) return null;
    if (this.now() - f.at < this.holdMs) return f;
    try {
      await this.probe();
      if (this.failure === f) this.failure = null;
      return this.failure;
    } catch (e) {
      this.failed('probe', e);
      return this.failure;
    }
  }
}
