/**
 * One process per data dir. Two servers on the same files would each keep their own online
 * profiles, contact counters and consumer checkpoints, and each would overwrite what the
 * other derived; SQLite's own locking cannot see that. The first process to open a database
 * in the dir writes `nextbest.lock` (its pid, host and command); a second process gets
 * DATA_DIR_LOCKED naming the holder. A lock left by a process that died (SIGKILL, power cut)
 * is taken over: its pid no longer runs on this host. Within one process the lock is counted,
 * so the engine's several databases (and tests that reopen a dir) share it.
 */
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NextbestError } from '../../core/errors.js';

/** The file that marks a data dir as held. */
export const LOCK_FILE = 'nextbest.lock';

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const held = new Map<string, { file: string; count: number }>();
let exitHookInstalled = false;

/** Takes (or shares, within this process) the data dir's lock; returns its release, safe to call twice. */
export function lockDataDir(dir: string): () => void {
  const key = realpathSync(dir);
  const mine = held.get(key);
  if (mine) mine.count++;
  else held.set(key, { file: acquire(join(key, LOCK_FILE)), count: 1 });
  installExitHook();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const h = held.get(key);
    if (!h || --h.count > 0) return;
    held.delete(key);
    unlinkQuietly(h.file);
  };
}

/**
 * Throws DATA_DIR_LOCKED if another live process holds `dir`, without taking the lock: for
 * a command about to delete or replace the dir (the demo starts fresh).
 */
export function assertDataDirFree(dir: string): void {
  const file = join(dir, LOCK_FILE);
  const holder = readHolder(file);
  if (holder && isAlive(holder)) throw lockedError(file, holder);
}

function lockedError(file: string, holder: Holder): NextbestError {
  return new NextbestError(
    'DATA_DIR_LOCKED',
    `the data dir ${file.slice(0, -LOCK_FILE.length - 1)} is in use by process ${holder.pid} on ${holder.host} (${holder.command || 'nextbest'}, since ${holder.since}): one process per data dir. Stop it, use its HTTP API, or pass another --data-dir. If no such process runs, delete ${file}.`,
    { lockFile: file, pid: holder.pid, host: holder.host },
  );
}

function acquire(file: string): string {
  const me: Holder = { pid: process.pid, host: hostname(), command: process.argv.slice(1).join(' ').slice(0, 200), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder && isAlive(holder)) throw lockedError(file, holder);
    unlinkQuietly(file); // left by a process that is gone (or unreadable half-written): take it over
  }
  throw new NextbestError('DATA_DIR_LOCKED', `could not take the data dir lock ${file}: another process keeps taking it`, { lockFile: file });
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return undefined;
    return { pid: h.pid, host: h.host, command: String(h.command ?? ''), since: String(h.since ?? '') };
  } catch {
    return undefined;
  }
}

/** A holder on another host cannot be checked, so it counts as alive; here, its pid must run. */
function isAlive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return false; // a lock this process left behind and no longer counts
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** A process that exits without closing its engine still leaves no lock behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const h of held.values()) unlinkQuietly(h.file);
    held.clear();
  });
}
