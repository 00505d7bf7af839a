import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet, type FeatureDef } from '../../src/features/index.js';

/**
 * Feature filters remember their outcome per value of the fields they read (features/featureSet.ts):
 * what the snapshot encodes must be what a filter evaluated afresh gives. A fresh feature set
 * per event has nothing remembered, so it evaluates every filter.
 */
const EDGE: FeatureDef[] = [
  { name: 'fx_minor_present', description: 'edge', unit: 'count', events: ['card_payment'], where: 'has(event.payload.originalAmount.minor)', aggregation: 'count', window: '30d' },
  { name: 'fx_minor_absent', description: 'edge', unit: 'count', events: ['card_payment'], where: '!has(event.payload.originalAmount.minor)', aggregation: 'count', window: '30d' },
  { name: 'zero_amount', description: 'edge', unit: 'count', events: ['card_payment'], where: 'event.payload.amount.minor == 0', aggregation: 'count', window: '30d' },
  { name: 'small_amount', description: 'edge', unit: 'count', events: ['card_payment'], where: 'event.payload.amount.minor < 1 && event.payload.merchantCountry != "GB"', aggregation: 'count', window: '30d' },
];

const card = (payload: Record<string, unknown>, k: number): StoredEvent => ({ seq: k + 1, t: 1_700_000_000_000 + k, recordedAt: 0, event: { eventId: `e${k}`, customerId: 'c1', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1, type: 'card_payment', payload } as never });

describe('a remembered filter outcome is the outcome evaluated afresh', () => {
  it('for repeated values, a missing field against a missing parent, -0, null, objects and strings where numbers go', () => {
    const defs = [...BANK_PACK, ...EDGE];
    const warm = FeatureSet.compile(defs);
    const payloads: Record<string, unknown>[] = [
      { amount: { minor: -500, currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'GB' },
      { amount: { minor: 0, currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'FR', originalAmount: { minor: 7, currency: 'EUR' } },
      { amount: { minor: -0, currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'FR' },
      { amount: { minor: 0, currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'FR', originalAmount: {} },
      { amount: { minor: 0, currency: 'GBP' }, merchantCategoryCode: '5411', originalAmount: 'x' },
      { amount: { minor: 0, currency: 'GBP' }, merchantCategoryCode: '5411', originalAmount: null },
      { amount: { minor: '0', currency: 'GBP' }, merchantCategoryCode: 5411, merchantCountry: null, cardType: 'credit' },
      { amount: { minor: -1e21, currency: 'GBP' }, merchantCategoryCode: '3001', merchantCountry: 'GB', cardType: 'debit' },
      { amount: null, merchantCategoryCode: '7995' },
      { merchantCategoryCode: '7995', cardType: true },
      { amount: { minor: -250 }, merchantCategoryCode: ['5411'], merchantCountry: 'US' },
    ];
    // Each several times and in turn, so the second and later are answered from memory.
    const events = Array.from({ length: 5 * payloads.length }, (_, k) => card(payloads[k % payloads.length]!, k));
    const keys = new Map<string, number>();
    const keyOf = (k: string) => keys.get(k) ?? keys.set(k, keys.size).get(k)!;
    for (const e of events) {
      const [a, b] = [new Float64Array(64).fill(-1), new Float64Array(64).fill(-1)];
      const fresh = FeatureSet.compile(defs);
      expect(warm.encodeInputs(e, a, 0, keyOf), JSON.stringify(e.event)).toBe(fresh.encodeInputs(e, b, 0, keyOf));
      expect(a).toEqual(b);
    }
  }, 60_000);
});
