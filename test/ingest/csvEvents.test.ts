import { describe, it, expect } from 'vitest';
import { EVENT_CSV_HEADER, eventToCsvLine, csvRowToEvent } from '../../src/ingest/csvEvents.js';
import { parseCsvLine } from '../../src/core/csv.js';
import { BankEvent } from '../../src/core/events.js';
import { exampleEvents } from '../helpers/events.js';

describe('CSV event format', () => {
  it('round-trips one event of every type exactly', () => {
    for (const e of exampleEvents()) {
      const parsed = BankEvent.parse(e);
      const back = csvRowToEvent(EVENT_CSV_HEADER, parseCsvLine(eventToCsvLine(parsed)));
      expect(BankEvent.parse(back)).toEqual(parsed);
    }
  });

  it('keeps leading zeros of codes and quotes commas', () => {
    const e = BankEvent.parse({ ...exampleEvents()[2]!, payload: { amount: { minor: -5, currency: 'GBP' }, merchantCategoryCode: '0742' } });
    const line = eventToCsvLine(e);
    expect((csvRowToEvent(EVENT_CSV_HEADER, parseCsvLine(line)) as any).payload.merchantCategoryCode).toBe('0742');
    const s = BankEvent.parse({ ...exampleEvents()[12]!, payload: { channel: 'web', screen: 'a, "b"' } });
    expect((csvRowToEvent(EVENT_CSV_HEADER, parseCsvLine(eventToCsvLine(s))) as any).payload.screen).toBe('a, "b"');
  });

  it('leaves a non-numeric amount as text so validation names it', () => {
    const header = ['eventId', 'customerId', 'type', 'occurredAt', 'schemaVersion', 'payload.amount.minor', 'payload.amount.currency'];
    const raw = csvRowToEvent(header, ['e1', 'c1', 'deposit', '2026-01-01T00:00:00Z', '1', 'ten', 'GBP']);
    const r = BankEvent.safeParse(raw);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe('payload.amount.minor');
  });

  it('ignores prototype-polluting column names', () => {
    const raw = csvRowToEvent(['eventId', '__proto__.polluted', 'payload.__proto__'], ['e1', 'yes', 'x']);
    expect(({} as any).polluted).toBeUndefined();
    expect(raw).toEqual({ eventId: 'e1', payload: {} });
  });
});
