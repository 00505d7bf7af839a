import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import type { EventLog, AppendItem } from '../../src/store/eventLog.js';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { canonicalJson } from '../../src/core/canonical.js';

const item = (e: BankEvent): AppendItem => ({ event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) });
const login = (id: string, customerId: string, at: string): BankEvent => ({ eventId: id, customerId, occurredAt: at, schemaVersion: 1, type: 'login', payload: { channel: 'web' } });
const iso = (ms: number) => new Date(ms).toISOString();

/** The one contract every EventLog adapter passes (STYLE.md 11). */
export function eventLogContract(name: string, open: () => Promise<EventLog>): void {
  describe(`EventLog contract: ${name}`, () => {
    let log: EventLog;
    beforeEach(async () => {
      log = await open();
    });
    afterEach(async () => {
      await log.close();
    });

    it('purges one event type before a time (retention), leaving other types and later events', async () => {
      const pay = (id: string, c: string, at: string): BankEvent => ({ eventId: id, customerId: c, occurredAt: at, schemaVersion: 1, type: 'card_payment', payload: { amount: { minor: 100, currency: 'GBP' }, merchantCategoryCode: '5411' } }) as BankEvent;
      await log.appendMany([item(login('l1', 'c1', '2025-01-01T00:00:00Z')), item(pay('p1', 'c1', '2025-01-02T00:00:00Z')), item(pay('p2', 'c2', '2025-06-01T00:00:00Z')), item(pay('p3', 'c1', '2026-01-01T00:00:00Z'))], 1);
      expect(await log.purgeType('card_payment', Date.parse('2025-12-01T00:00:00Z'))).toBe(2);
      expect((await log.readCustomer('c1')).map((e) => e.event.eventId)).toEqual(['l1', 'p3']);
      expect(await log.readCustomer('c2')).toEqual([]);
      expect(await log.count()).toBe(2);
      const scanned: string[] = [];
      for await (const page of log.scan()) scanned.push(...page.map((e) => e.event.eventId));
      expect(scanned).toEqual(['l1', 'p3']);
      expect(await log.purgeType('card_payment', Date.parse('2025-12-01T00:00:00Z'))).toBe(0);
    });

    it('accepts, dedupes the same content and flags a changed one as conflict', async () => {
      const a = login('e1', 'c1', '2026-01-01T10:00:00Z');
      const [r1] = await log.appendMany([item(a)], 1);
      expect(r1).toEqual({ status: 'accepted', seq: 1 });
      const [r2] = await log.appendMany([item(a)], 2);
      expect(r2).toEqual({ status: 'duplicate', seq: 1 });
      const changed = { ...a, payload: { channel: 'mobile_app' } } as BankEvent;
      const [r3] = await log.appendMany([item(changed)], 3);
      expect(r3).toEqual({ status: 'conflict', seq: 1 });
      expect(await log.count()).toBe(1);
      const stored = await log.readCustomer('c1');
      expect(stored[0]!.event).toEqual(a);
      expect(stored[0]!.recordedAt).toBe(1);
    });

    it('treats a repeat inside one batch as a duplicate of the first', async () => {
      const a = login('e1', 'c1', '2026-01-01T10:00:00Z');
      const out = await log.appendMany([item(a), item(a), item(login('e2', 'c1', '2026-01-01T11:00:00Z'))], 1);
      expect(out.map((o) => o.status)).toEqual(['accepted', 'duplicate', 'accepted']);
    });

    it('reads one customer in event-time order, late arrivals included', async () => {
      await log.appendMany([item(login('b', 'c1', '2026-01-02T00:00:00Z')), item(login('x', 'c2', '2026-01-01T00:00:00Z'))], 1);
      await log.appendMany([item(login('a', 'c1', '2026-01-01T00:00:00Z')), item(login('c', 'c1', '2026-01-02T00:00:00Z'))], 2);
      const ids = (await log.readCustomer('c1')).map((e) => e.event.eventId);
      expect(ids).toEqual(['a', 'b', 'c']);
      const ranged = await log.readCustomer('c1', { fromT: Date.parse('2026-01-02T00:00:00Z') });
      expect(ranged.map((e) => e.event.eventId)).toEqual(['b', 'c']);
    });

    it('scans a time range in pages, in event-time order, and counts', async () => {
      const events = Array.from({ length: 25 }, (_, i) => login(`e${i}`, `c${i % 3}`, iso(Date.UTC(2026, 0, 1) + ((i * 7) % 25) * 3_600_000)));
      await log.appendMany(events.map(item), 1);
      const from = Date.UTC(2026, 0, 1, 5);
      const to = Date.UTC(2026, 0, 1, 20);
      const pages: number[] = [];
      const seen: number[] = [];
      for await (const page of log.scan({ fromT: from, toT: to, batchSize: 4 })) {
        pages.push(page.length);
        seen.push(...page.map((e) => e.t));
      }
      expect(pages.every((n) => n <= 4)).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.length).toBe(15);
      expect(await log.count({ fromT: from, toT: to })).toBe(15);
      expect(await log.count({ customerId: 'c0' })).toBe(9);
      expect(await log.count({ types: ['deposit'] })).toBe(0);
    });

    it('scans one type in pages, in (time, seq) order, ties and a time range included (consent changes read their own index on SQLite)', async () => {
      const consent = (id: string, c: string, at: string): BankEvent => ({ eventId: id, customerId: c, occurredAt: at, schemaVersion: 1, type: 'consent_change', payload: { purpose: 'marketing', granted: id.length % 2 === 0 } }) as BankEvent;
      // Consent changes among logins, several at the same instant, appended out of time order.
      const events = Array.from({ length: 60 }, (_, i) => {
        const at = iso(Date.UTC(2026, 0, 1) + ((i * 13) % 20) * 3_600_000);
        return i % 3 === 0 ? consent(`k${i}`, `c${i % 4}`, at) : login(`l${i}`, `c${i % 4}`, at);
      });
      await log.appendMany(events.map(item), 1);
      const all: StoredEvent[] = [];
      for await (const page of log.scan({ batchSize: 1000 })) all.push(...page);
      const expected = (from: number, to: number) => all.filter((e) => e.event.type === 'consent_change' && e.t >= from && e.t < to).map((e) => e.seq);
      for (const [from, to] of [[0, Number.MAX_SAFE_INTEGER], [Date.UTC(2026, 0, 1, 3), Date.UTC(2026, 0, 1, 15)]] as const) {
        const seqs: number[] = [];
        for await (const page of log.scan({ types: ['consent_change'], batchSize: 3, ...(from > 0 ? { fromT: from, toT: to } : {}) })) {
          expect(page.length).toBeLessThanOrEqual(3);
          for (const e of page) expect(e.event.type).toBe('consent_change');
          seqs.push(...page.map((e) => e.seq));
        }
        expect(seqs).toEqual(expected(from, to));
        expect(seqs.length).toBeGreaterThan(3);
      }
    });

    it('reads in arrival order after a position', async () => {
      await log.appendMany([item(login('b', 'c1', '2026-01-02T00:00:00Z')), item(login('a', 'c1', '2026-01-01T00:00:00Z'))], 1);
      expect((await log.readAfter(0, 10)).map((e) => e.event.eventId)).toEqual(['b', 'a']);
      expect((await log.readAfter(1, 10)).map((e) => e.event.eventId)).toEqual(['a']);
    });

    it('erases every event of one customer and nothing else', async () => {
      await log.appendMany([item(login('a', 'c1', '2026-01-01T00:00:00Z')), item(login('b', 'c2', '2026-01-01T00:00:00Z'))], 1);
      expect(await log.eraseCustomer('c1')).toBe(1);
      expect(await log.readCustomer('c1')).toEqual([]);
      expect(await log.count()).toBe(1);
    });

    it('never gives a seq out twice, even after erasing the newest events', async () => {
      expect(await log.head()).toBe(0);
      await log.appendMany([item(login('h1', 'c1', '2026-01-01T10:00:00Z')), item(login('h2', 'c2', '2026-01-01T10:01:00Z')), item(login('h3', 'c2', '2026-01-01T10:02:00Z'))], 1);
      expect(await log.head()).toBe(3);
      await log.eraseCustomer('c2');
      expect(await log.head()).toBe(3);
      const [r] = await log.appendMany([item(login('h4', 'c1', '2026-01-01T10:03:00Z'))], 2);
      expect(r).toEqual({ status: 'accepted', seq: 4 });
      expect((await log.readAfter(1, 10)).map((e) => [e.seq, e.event.eventId])).toEqual([[4, 'h4']]);
    });

    it('property: any append sequence keeps exactly one copy per eventId, in time order per customer', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ id: fc.integer({ min: 0, max: 30 }), c: fc.integer({ min: 0, max: 3 }), h: fc.integer({ min: 0, max: 48 }), chan: fc.boolean() }), { minLength: 1, maxLength: 60 }),
          fc.integer({ min: 1, max: 7 }),
          async (specs, batch) => {
            const l = await open();
            try {
              const firstContent = new Map<string, string>();
              for (let i = 0; i < specs.length; i += batch) {
                const chunk = specs.slice(i, i + batch).map((s) => {
                  const e: BankEvent = { eventId: `e${s.id}`, customerId: `c${s.c}`, occurredAt: iso(Date.UTC(2026, 0, 1) + s.h * 3_600_000), schemaVersion: 1, type: 'login', payload: { channel: s.chan ? 'web' : 'mobile_app' } };
                  return item(e);
                });
                const out = await l.appendMany(chunk, i);
                chunk.forEach((it, k) => {
                  const prev = firstContent.get(it.event.eventId);
                  const expected = prev === undefined ? 'accepted' : prev === it.body ? 'duplicate' : 'conflict';
                  expect(out[k]!.status).toBe(expected);
                  if (prev === undefined) firstContent.set(it.event.eventId, it.body);
                });
              }
              expect(await l.count()).toBe(firstContent.size);
              for (let c = 0; c < 4; c++) {
                const ev = await l.readCustomer(`c${c}`);
                for (let k = 1; k < ev.length; k++) expect(ev[k - 1]!.t <= ev[k]!.t).toBe(true);
              }
            } finally {
              await l.close();
            }
          },
        ),
        { numRuns: 60, seed: 42 },
      );
    });
  });
}
