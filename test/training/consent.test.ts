import { beforeAll, describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { Customer } from '../../src/core/customer.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { mayTrainOn, consentHistory, trainingExclusions } from '../../src/governance/privacy.js';
import { renderModelCard } from '../../src/governance/modelCard.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { LogWithout } from '../../src/training/consent.js';
import { ModelLifecycle } from '../../src/training/index.js';
import { appendAll, syntheticBank } from './synthetic.js';

const DAY = 86_400_000;
const consent = (id: string, c: string, at: string, purpose: string, granted: boolean, channel?: string): BankEvent =>
  ({ eventId: id, customerId: c, occurredAt: at, schemaVersion: 1, type: 'consent_change', payload: { purpose, granted, ...(channel ? { channel } : {}) } }) as BankEvent;
const stored = (e: BankEvent, seq: number): StoredEvent => ({ seq, t: Date.parse(e.occurredAt), recordedAt: 0, event: e });

describe('who may be trained on', () => {
  it('leaves out objections to profiling and a withheld training purpose; the latest change for every channel counts', async () => {
    const records = [
      Customer.parse({ customerId: 'obj-record', consents: { profiling: false } }),
      Customer.parse({ customerId: 'regranted', consents: { profiling: false } }),
      Customer.parse({ customerId: 'plain' }),
    ];
    const events = [
      consent('e1', 'regranted', '2026-01-02T00:00:00Z', 'profiling', true),
      consent('e2', 'obj-event', '2026-01-01T00:00:00Z', 'profiling', false),
      consent('e3', 'channel-only', '2026-01-01T00:00:00Z', 'profiling', false, 'email'),
      consent('e4', 'no-research', '2026-01-01T00:00:00Z', 'research', false),
      consent('e5', 'marketing-only', '2026-01-01T00:00:00Z', 'marketing', false),
    ].map(stored);
    const out = await trainingExclusions(
      {
        async *records() {
          yield records;
        },
        async *consentEvents() {
          yield events;
        },
      },
      'research',
    );
    expect([...out].sort()).toEqual(['no-research', 'obj-event', 'obj-record']);
    expect(mayTrainOn(consentHistory(records[2], []), 'research')).toBe(true);
  });

  it('the training view of the log hides the excluded customers everywhere and is read-only', async () => {
    const log = new MemoryEventLog();
    const ev = (id: string, c: string) => ({ eventId: id, customerId: c, occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 as const, type: 'login' as const, payload: { channel: 'web' as const } });
    await appendAll(log, [ev('a', 'in'), ev('b', 'out'), ev('c', 'in')]);
    const view = new LogWithout(log, new Set(['out']));
    expect(await view.readCustomer('out')).toEqual([]);
    expect((await view.readCustomer('in')).length).toBe(2);
    const scanned: string[] = [];
    for await (const page of view.scan()) scanned.push(...page.map((e) => e.event.customerId));
    expect(scanned).toEqual(['in', 'in']);
    expect((await view.readAfter(0, 10)).map((e) => e.event.customerId)).toEqual(['in', 'in']);
    expect(await view.count()).toBe(2);
    expect(await view.count({ customerId: 'out' })).toBe(0);
    await expect(view.eraseCustomer()).rejects.toThrow(/read-only/);
  });
});

describe('training leaves out customers who objected, and the card says how many', () => {
  const features = FeatureSet.compile(BANK_PACK);
  const bank = syntheticBank({ customers: 150, days: 150, seed: 9 });
  const objectors = new Set(Array.from({ length: 50 }, (_, i) => `c${String(i * 3).padStart(5, '0')}`));
  let withAll: number;
  let without: number;
  let card: string;
  let excludedOnCard: number | undefined;

  beforeAll(async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const now = () => bank.start + bank.days * DAY;
    const all = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now });
    const r1 = await all.train({ models: ['propensity'], seed: 1 });
    const full = (await all.get(r1.trained.find((t) => t.name === 'propensity_savings')!.id))!;
    withAll = full.card.data.rows;
    const some = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now, trainingExclusions: async () => objectors });
    const r2 = await some.train({ models: ['propensity'], seed: 1 });
    const m = (await some.get(r2.trained.find((t) => t.name === 'propensity_savings')!.id))!;
    without = m.card.data.rows;
    excludedOnCard = m.card.data.consentExcluded;
    card = renderModelCard(m);
  }, 60_000);

  it('has about a third fewer rows (the view above hides every objector event), and the card states the count', () => {
    expect(withAll).toBeGreaterThan(0);
    // A third of the customers objected: roughly a third of the rows go (their offers were random).
    expect(without).toBeLessThan(withAll * 0.8);
    expect(without).toBeGreaterThan(withAll * 0.5);
    expect(excludedOnCard).toBe(50);
    expect(card).toContain('Left out for consent | 50 customers');
  });
});
