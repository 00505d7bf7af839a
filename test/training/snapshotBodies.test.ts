import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import type { EventLog } from '../../src/store/eventLog.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteEventLog } from '../../src/store/sqlite/eventLog.js';
import { CONTACT_FEATURES } from '../../src/training/definitions.js';
import { SnapshotStore } from '../../src/training/snapshot.js';
import { twinEvents } from './twinEvents.js';

const DAY = 86_400_000;

/** The log without its unparsed read: the snapshot reads it with `readAfter` (JSON.parse of every body). */
const parsedOnly = (log: EventLog): EventLog => ({
  appendMany: (i, r) => log.appendMany(i, r),
  readCustomer: (c, q) => log.readCustomer(c, q),
  scan: (o) => log.scan(o),
  readAfter: (s, l) => log.readAfter(s, l),
  head: () => log.head(),
  count: (q) => log.count(q),
  purgeType: (t, b) => log.purgeType(t, b),
  eraseCustomer: (c) => log.eraseCustomer(c),
  close: () => log.close(),
});

describe('a snapshot built from the stored bodies (only the fields it reads) is the one built from parsed events', () => {
  const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-bodies-'));
  let log: SqliteEventLog;
  let events: BankEvent[];
  beforeAll(async () => {
    ({ events } = await twinEvents(150, 120, 13));
    log = new SqliteEventLog(openSqlite(join(dir, 'events.db')));
    // Stored as ingest stores them (JSON.stringify of the checked event), in two halves to test an extension too.
    const half = events.findIndex((e) => Date.parse(e.occurredAt) >= Date.parse(events[0]!.occurredAt) + 60 * DAY);
    const append = async (part: BankEvent[]) => {
      for (let k = 0; k < part.length; k += 5000) await log.appendMany(part.slice(k, k + 5000).map((e) => ({ event: e, body: JSON.stringify(e), t: Date.parse(e.occurredAt) })), 0);
    };
    await append(events.slice(0, half));
    await new SnapshotStore(log, join(dir, 'kept')).refresh(features);
    await append(events.slice(half));
  }, 120_000);
  afterAll(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same columns and dictionaries, built from scratch and extended', async () => {
    expect(log.bodyPages).toBeDefined();
    const fromBodies = await new SnapshotStore(log, undefined).refresh(features);
    const fromParsed = await new SnapshotStore(parsedOnly(log), undefined).refresh(features);
    expect(fromBodies.refresh).toMatchObject({ action: 'built', rows: events.length });
    const contents = (s: { cols: object; meta: object }) => ({ cols: s.cols, meta: { ...s.meta } });
    expect(contents(fromBodies.snapshot!)).toStrictEqual(contents(fromParsed.snapshot!));
    // Every matcher (churn has no at-risk one: bit 3) and the closures have rows, so each field they read was compared.
    const flags = fromBodies.snapshot!.cols.flags;
    for (const bit of [0, 1, 2, 4, 5, 6]) expect(flags.some((f) => (f & (1 << bit)) !== 0), `flag bit ${bit}`).toBe(true);
    const extended = await new SnapshotStore(log, join(dir, 'kept')).refresh(features);
    expect(extended.refresh).toMatchObject({ action: 'extended', rows: events.length });
    expect(contents(extended.snapshot!)).toStrictEqual(contents(fromParsed.snapshot!));
  });
});
