import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ingestBatch, type IngestDeps } from '../../src/ingest/pipeline.js';
import { MemoryCustomerStore } from '../../src/store/memory/customerStore.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryRejectStore } from '../../src/store/memory/rejectStore.js';

const login = (n: number, customerId: string, o: { occurredAt?: string; note?: string } = {}) => ({
  eventId: `${customerId}-login-${n}`,
  customerId,
  occurredAt: o.occurredAt ?? '2026-03-01T09:00:00Z',
  schemaVersion: 1,
  type: 'login',
  payload: { channel: 'mobile_app', ...(o.note ? { note: o.note } : {}) },
});

function deps(o: Partial<IngestDeps> = {}): IngestDeps {
  return { eventLog: new MemoryEventLog(), customers: new MemoryCustomerStore(), rejects: new MemoryRejectStore(), clock: new ManualClock('2026-03-01T12:00:00Z'), maxFutureMs: 300_000, ...o };
}

describe('the quarantine', () => {
  it("keeps no raw body, id or event id of an erased customer's refused event, only the rule", async () => {
    const d = deps();
    await d.customers.erase('zoe-erased-1', 0);
    const r = await ingestBatch([login(1, 'zoe-erased-1'), login(2, 'zoe-erased-1', { occurredAt: 'yesterday', note: 'Zoe Q <zoe@example.org>' }), login(3, 'still-here')], 'http', d);
    expect(r.results.map((x) => x.status)).toEqual(['rejected', 'rejected', 'accepted']);
    // The caller is told which rule refused it.
    expect(r.results[0]).toMatchObject({ status: 'rejected', issues: [{ field: 'customerId', rule: 'erased_customer' }] });
    const held = await d.rejects.list({ limit: 10 });
    expect(held).toHaveLength(2);
    for (const item of held) {
      expect(item).toMatchObject({ customerId: null, eventId: null, issues: [{ field: 'customerId', rule: 'erased_customer' }] });
      expect(JSON.stringify(item)).not.toMatch(/zoe/i);
    }
  });

  it('on a shared store, an erasure by another instance during the append erases the batch\'s events of that customer again', async () => {
    const d = deps({ recheckErased: true });
    const log = d.eventLog as MemoryEventLog;
    const append = log.appendMany.bind(log);
    // Another instance erases the customer while this batch is being appended.
    log.appendMany = async (items, now) => {
      const out = await append(items, now);
      await d.customers.erase('late-erased', now);
      return out;
    };
    const r = await ingestBatch([login(1, 'late-erased'), login(2, 'stays')], 'http', d);
    expect(r.results.map((x) => x.status)).toEqual(['rejected', 'accepted']);
    expect(r).toMatchObject({ accepted: 1, rejected: 1 });
    expect(r.stored.map((s) => s.event.customerId)).toEqual(['stays']);
    expect(await d.eventLog.count({ customerId: 'late-erased' })).toBe(0);
    expect(JSON.stringify(await d.rejects.list({ limit: 10 }))).not.toContain('late-erased');
  });

  it('is capped on insert: the oldest items go, and the count of those dropped is reported', async () => {
    let dropped = 0;
    const d = deps({ quarantineMax: 5, onQuarantineDropped: (n) => (dropped += n) });
    const bad = (n: number) => login(n, `c-${n}`, { occurredAt: 'not a date' });
    await ingestBatch([1, 2, 3].map(bad), 'http', d);
    expect(dropped).toBe(0);
    await ingestBatch([4, 5, 6, 7].map(bad), 'http', d);
    expect(dropped).toBe(2);
    expect(await d.rejects.count()).toBe(5);
    expect((await d.rejects.list({ limit: 10 })).map((x) => x.eventId)).toEqual(['c-7-login-7', 'c-6-login-6', 'c-5-login-5', 'c-4-login-4', 'c-3-login-3']);
    // A batch larger than the cap keeps its newest items only.
    await ingestBatch(Array.from({ length: 12 }, (_, i) => bad(100 + i)), 'http', d);
    expect(dropped).toBe(14);
    expect((await d.rejects.list({ limit: 10 })).map((x) => x.eventId)[0]).toBe('c-111-login-111');
    expect(await d.rejects.count()).toBe(5);
  });
});
