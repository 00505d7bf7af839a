/**
 * A data directory that lives on simulated time. `nextbest demo` writes `clock.json` into
 * its data dir with the instant its twin's history ends; an engine opened on that dir (by
 * `serve`, `decide`, `train` …) reads it and runs on that instant, so its windows, contact
 * caps, quiet hours and future-timestamp checks see the bank as the demo did, not a year
 * of empty days later. The clock is held at that instant, as the demo's own is while it
 * serves. Deleting the file returns the dir to the real clock.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ManualClock, type Clock } from '../core/clock.js';
import { NextbestError } from '../core/errors.js';

export const CLOCK_FILE = 'clock.json';

const ClockFile = z
  .object({
    simulatedNow: z.iso.datetime({ offset: true }).describe('The instant the data dir lives at'),
    writtenBy: z.string().optional(),
  })
  .strict();

/** Records that the data dir lives at `now` (epoch ms) on simulated time. */
export function writeSimulatedClock(dataDir: string, now: number, writtenBy: string): void {
  writeFileSync(join(dataDir, CLOCK_FILE), `${JSON.stringify({ simulatedNow: new Date(now).toISOString(), writtenBy }, null, 2)}\n`);
}

/** The simulated instant a data dir lives at (epoch ms), or undefined when it runs on the real clock. */
export function readSimulatedClock(dataDir: string): number | undefined {
  const path = join(dataDir, CLOCK_FILE);
  if (!existsSync(path)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new NextbestError('CONFIG_INVALID', `${path} is not JSON (${(e as Error).message}); delete it to run on the real clock`);
  }
  const parsed = ClockFile.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NextbestError('CONFIG_INVALID', `${path}: ${issue.path.join('.') || '(file)'}: ${issue.message}; delete it to run on the real clock`);
  }
  return Date.parse(parsed.data.simulatedNow);
}

/** The clock of a data dir: its simulated instant when it has one, else undefined. */
export function dataDirClock(dataDir: string): Clock | undefined {
  const at = readSimulatedClock(dataDir);
  return at === undefined ? undefined : new ManualClock(at);
}
