import { describe, it, expect } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { ResponseLinker } from '../../src/decisioning/responses.js';
import { MemoryConsumerCheckpoints } from '../../src/store/memory/consumerCheckpoints.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';

const T = Date.UTC(2026, 2, 1);
const response = (seq: number, response: string): StoredEvent => ({
  seq,
  t: T + seq,
  recordedAt: T + seq,
  event: { eventId: `r${seq}`, customerId: 'c1', type: 'offer_response', occurredAt: new Date(T + seq).toISOString(), schemaVersion: 1, payload: { decisionId: 'd1', actionId: 'card', channel: 'in_app', response } } as BankEvent,
});

describe('response linker (log consumer)', () => {
  it('a crash after the apply but before the checkpoint replays the batch harmlessly: one link and one decline per event', async () => {
    const log = new MemoryDecisionLog();
    await log.append({ decisionId: 'd1', customerId: 'c1', channel: 'in_app', decidedAt: T, catalogueVersion: 'v1', chosenActions: [], record: {} });
    const contacts = new MemoryContactStore();
    const checkpoints = new MemoryConsumerCheckpoints();
    const batch = [response(1, 'declined'), response(2, 'accepted')];
    // The checkpoint write is lost (the process died right after the effects).
    const lost = new ResponseLinker({ log, contacts, familyOf: () => 'credit_card', checkpoints: { ...checkpoints, get: (n) => checkpoints.get(n), put: async () => undefined, list: () => checkpoints.list(), close: async () => undefined } });
    expect(await lost.open()).toBe(0);
    await lost.apply(batch);
    const restarted = new ResponseLinker({ log, contacts, familyOf: () => 'credit_card', checkpoints });
    expect(await restarted.open()).toBe(0);
    await restarted.apply(batch);
    expect(await restarted.open()).toBe(2);
    expect((await log.get('d1'))!.responses.map((r) => [r.eventId, r.response])).toEqual([
      ['r1', 'declined'],
      ['r2', 'accepted'],
    ]);
    expect((await contacts.history('c1', 0)).declines).toEqual([{ actionId: 'card', family: 'credit_card', at: T + 1, eventId: 'r1' }]);
  });
});
