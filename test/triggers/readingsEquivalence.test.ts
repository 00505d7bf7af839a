/**
 * The trigger consumer limits its readings to the keys its triggers read (readingKeys.ts) and
 * skips the customer and fire reads when no pattern matches. This runs it beside the consumer
 * as it was (test/triggers/oracle: full readings, every feature and score computed and saved
 * per customer per batch) over one seeded event stream, on real online features and the
 * served scores (readingsRig.ts), and checks that they fire the same triggers with the same
 * decisions and remember the same readings for every key the triggers read: with the shipped
 * triggers, and with thresholds on features and scores whose conditions read before and
 * after, edited while the stream runs.
 */
import { describe, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { MemoryFireLog, SqliteFireLog, type FireLog } from '../../src/triggers/index.js';
import { custom, edited, expectSameAsFullReadings, shipped } from './readingsRig.js';

const stores: [string, () => FireLog][] = [
  ['memory', () => new MemoryFireLog()],
  ['sqlite', () => new SqliteFireLog(openSqlite(':memory:'))],
];

describe.each(stores)('limited readings fire what full readings fired (%s fire log)', (_name, fires) => {
  it('the shipped triggers', () => expectSameAsFullReadings([shipped], 11, fires), 60_000);
  it('thresholds on features and scores, before and after, edited twice while the stream runs', () => expectSameAsFullReadings([[...shipped, ...custom], edited([...shipped, ...custom]), [...shipped, ...custom]], 12, fires), 60_000);
});
