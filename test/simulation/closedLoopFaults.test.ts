import { describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { runClosedLoop, type NamedPolicy } from '../../src/simulation/closedLoop.js';
import { measureOnTwin } from '../../src/simulation/enginePolicy.js';
import { IngestGate } from '../../src/simulation/ingestGate.js';
import { corrupt } from '../../src/simulation/faults.js';
import { randomPolicy, rulesPolicy } from '../../src/simulation/policies.js';
import { runTwin } from './helpers.js';

const dirty = { customers: 300, days: 20, seed: 12, faults: { duplicateRate: 0.02, lateRate: 0.02, malformedRate: 0.01, maxLateDays: 3 } };
const clean = { ...dirty, faults: { duplicateRate: 0, lateRate: 0, malformedRate: 0 } };

/** The random policy, listening to its feed the way the engine arm does. */
function listening(seen: BankEvent[]): NamedPolicy {
  return { ...randomPolicy, observe: (events) => void seen.push(...events) };
}

describe('faults in the closed loop', () => {
  it('the observed feed carries the scenario faults through ingestion: malformed rows rejected, duplicates dropped, late events admitted', async () => {
    const seen: BankEvent[] = [];
    const report = await runClosedLoop({ scenario: dirty, policy: listening(seen) });
    const feed = report.feed!;
    expect(feed.injected.malformed).toBeGreaterThan(50);
    expect(feed.injected.duplicates).toBeGreaterThan(100);
    expect(feed.injected.late).toBeGreaterThan(100);
    // Every malformed row is refused and every duplicate dropped: no more, no less.
    expect(feed.gate.rejected).toBe(feed.injected.malformed);
    expect(feed.gate.deduplicated).toBe(feed.injected.duplicates);
    expect(feed.gate.admittedLate).toBeGreaterThan(0.8 * feed.injected.late);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
    // The same events reach the policy as without faults, only some of them later.
    const cleanSeen: BankEvent[] = [];
    await runClosedLoop({ scenario: clean, policy: listening(cleanSeen) });
    expect(seen.map((e) => e.eventId).sort()).toEqual(cleanSeen.map((e) => e.eventId).sort());
  });

  it('the yardstick scores outcomes, not the feed: the same figures with or without faults', async () => {
    const a = await measureOnTwin(rulesPolicy, dirty, { days: 20, seed: 12 });
    const b = await measureOnTwin(rulesPolicy, clean, { days: 20, seed: 12 });
    expect(a.offersShown).toBeGreaterThan(0);
    expect({ ...a, feed: null }).toEqual({ ...b, feed: null });
  });

  it('the gate refuses each kind of malformed row and remembers eventIds across days', () => {
    const gate = new IngestGate(3);
    const event = runTwin({ customers: 5, days: 1, seed: 3 }).days[0]!.find((e) => e.type === 'card_payment')!;
    const broken = (['missing_field', 'bad_timestamp', 'wrong_sign', 'unknown_currency', 'unknown_type', 'bad_schema_version'] as const).map((k) => corrupt(event, k));
    expect(gate.admit([...broken, event, event], 0, event.occurredAt.slice(0, 10))).toHaveLength(1);
    expect(gate.admit([event], 1, '2025-12-31')).toHaveLength(0);
    expect(gate.counts).toEqual({ rows: 9, rejected: 6, deduplicated: 2, admittedLate: 0 });
  });
});
