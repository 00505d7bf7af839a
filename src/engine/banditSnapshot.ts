/**
 * The bandit learner's snapshot as a file in the data directory, written whole to a
 * temporary file and renamed over the last one, so a crash leaves the old snapshot or
 * the new one, never half of one. The learner replays the log after the seq it records.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BanditSnapshots } from '../decisioning/banditLearner.js';

export function fileBanditSnapshots(dataDir: string): BanditSnapshots {
  const path = join(dataDir, 'bandit.snapshot.json');
  return {
    async load() {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async save(snapshot) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(`${path}.tmp`, snapshot);
      renameSync(`${path}.tmp`, path);
    },
  };
}
