import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Customer } from '../../src/core/customer.js';
import { BankEvent, EVENT_TYPES } from '../../src/core/events.js';
import { encodeEvent } from '../../src/simulation/encode.js';
import { encodeJson } from '../../src/simulation/encodeJson.js';
import { JsonlWriter } from '../../src/simulation/jsonlWriter.js';
import { parseScenario } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';
import { runTwin } from './helpers.js';

describe('twin events follow the event model', () => {
  const { twin, days } = runTwin({
    customers: 250,
    days: 30,
    seed: 9,
    marketEvents: [{ day: 5, kind: 'base_rate_change', value: 4.5 }],
  });
  const all = days.flat();

  it('every event passes its schema, and parsing changes nothing (keys already in schema order)', () => {
    let bad = 0;
    for (const e of all) {
      const r = BankEvent.safeParse(e);
      if (!r.success || JSON.stringify(r.data) !== JSON.stringify(e)) bad++;
    }
    expect(bad).toBe(0);
    expect(all.length).toBeGreaterThan(250 * 30 * 2);
  });

  it('covers nearly every event type', () => {
    const seen = new Set(all.map((e) => e.type));
    const missing = EVENT_TYPES.filter((t) => !seen.has(t));
    // offer_response, investment_trade and loan_application come from the closed loop (closedLoop.test.ts);
    // delivery_receipt from the engine's delivery of a decision (test/engine/triggers.test.ts).
    expect(missing.sort()).toEqual(['delivery_receipt', 'investment_trade', 'loan_application', 'offer_response']);
  });

  it('money signs follow the customer view: in > 0, out < 0', () => {
    for (const e of all) {
      if (e.type === 'salary' || e.type === 'deposit' || e.type === 'transfer_in') expect(e.payload.amount.minor).toBeGreaterThan(0);
      if (e.type === 'card_payment' || e.type === 'withdrawal' || e.type === 'transfer_out') expect(e.payload.amount.minor).toBeLessThan(0);
      if (e.type === 'loan_repayment') expect(e.payload.amount.minor).toBeLessThanOrEqual(0);
    }
  });

  it('each day streams in event-time order, with unique deterministic eventIds', () => {
    for (const day of days) {
      for (let k = 1; k < day.length; k++) expect(Date.parse(day[k]!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(day[k - 1]!.occurredAt));
    }
    const ids = new Set(all.map((e) => e.eventId));
    expect(ids.size).toBe(all.length);
    expect(all[0]!.eventId).toMatch(/^tw-9-(c\d{7}-\d+|market-\d+)$/);
  });

  it('customer records pass the Customer schema and carry no hidden persona', () => {
    for (let i = 0; i < twin.pop.n; i++) {
      const rec = twin.pop.customerRecord(i, twin.scenario.startDate);
      expect(Customer.safeParse(rec).success).toBe(true);
      expect(JSON.stringify(rec)).not.toMatch(/"persona"|Persona|traveller|cash_rich_saver|mortgage_family|young_professional/);
    }
    for (const e of all.slice(0, 5000)) expect(JSON.stringify(e)).not.toMatch(/persona|churnHazard|stress"/);
  });

  it('both fast JSON encoders write exactly JSON.stringify of the event (seeded property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), (seed, customers, ndays) => {
        const t = new Twin(parseScenario({ seed, customers, days: ndays }));
        for (let d = 0; d < ndays; d++) {
          t.beginDay(d);
          const day = t.finishDay();
          const writer = new JsonlWriter();
          const lines: string[] = [];
          for (let j = 0; j < day.order.length; j++) {
            const k = day.order[j]!;
            const ev = encodeEvent(day.buffer, k, seed, day.date);
            const line = encodeJson(day.buffer, k, seed, day.date);
            if (line !== JSON.stringify(ev)) return false;
            if (!BankEvent.safeParse(ev).success) return false;
            writer.event(day.buffer, k, seed, day.date);
            lines.push(line);
          }
          // The byte writer agrees with the string encoder, line for line.
          if (writer.peek() !== lines.map((l) => `${l}\n`).join('')) return false;
        }
        return true;
      }),
      { numRuns: 30, seed: 20260301 },
    );
  });

  it('offer responses and what accepting offers emits encode identically on every path', () => {
    const t = new Twin(parseScenario({ seed: 3, customers: 300, days: 2 }));
    t.beginDay(0);
    let shown = 0;
    for (let i = 0; i < 300; i++) {
      for (let f = 0; f < 9; f++) {
        t.present(i, f, (i + f) % 6);
        shown++;
      }
    }
    const day = t.finishDay();
    const chunks: string[] = [];
    const writer = new JsonlWriter(undefined, (chunk) => chunks.push(chunk));
    const lines: string[] = [];
    const types = new Set<string>();
    for (let j = 0; j < day.order.length; j++) {
      const k = day.order[j]!;
      const ev = encodeEvent(day.buffer, k, 3, day.date);
      expect(BankEvent.safeParse(ev).success).toBe(true);
      types.add(ev.type);
      lines.push(encodeJson(day.buffer, k, 3, day.date));
      expect(lines[lines.length - 1]).toBe(JSON.stringify(ev));
      writer.event(day.buffer, k, 3, day.date);
    }
    writer.flush();
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(shown).toBeGreaterThan(100);
    for (const type of ['offer_response', 'loan_application', 'investment_trade', 'push_open', 'email_open']) expect(types).toContain(type);
  });
});

describe('customer records', () => {
  it('are the same whether asked for before or after the simulation runs', () => {
    const t = new Twin(parseScenario({ seed: 8, customers: 30, days: 20 }));
    const before = Array.from({ length: 30 }, (_, i) => JSON.stringify(t.pop.customerRecord(i, t.scenario.startDate)));
    for (let d = 0; d < 20; d++) {
      t.beginDay(d);
      t.finishDay();
    }
    const after = Array.from({ length: 30 }, (_, i) => JSON.stringify(t.pop.customerRecord(i, t.scenario.startDate)));
    expect(after).toEqual(before);
  });
});
