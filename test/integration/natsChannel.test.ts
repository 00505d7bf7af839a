import { describe, it, expect } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsAdapter } from '../../src/channels/nats.js';
import type { OutboxEntry } from '../../src/store/outbox.js';
import { serviceAvailable } from './services.js';

const NATS = 'nats://127.0.0.1:4222';
const available = await serviceAvailable('NATS', 4222);

const entry = (key: string): OutboxEntry => ({
  key,
  decisionId: key.split(':')[0]!,
  actionId: 'ts_invest_balanced',
  customerId: 'c1',
  channel: 'push',
  worklist: '',
  message: { headline: 'Could your cash work harder?', body: 'b' },
  createdAt: 0,
  status: 'leased',
  attempts: 1,
  dueAt: 0,
  leasedBy: 'x',
  leaseUntil: 1,
  lastError: null,
  settledAt: null,
});

describe.skipIf(!available)('NATS JetStream channel adapter (needs NATS on 127.0.0.1:4222)', () => {
  it('publishes each entry to the subject with its key as Nats-Msg-Id: a repeat is dropped, the stream holds each key once', async () => {
    const run = `trig_${Date.now()}`;
    const stream = `NB_TRIG_CH_${run}`;
    const subject = `nbtrig.${run}.push`;
    const nc = await connect({ servers: NATS });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
    const adapter = new NatsAdapter({ channel: 'push', servers: NATS, subject });
    try {
      expect(await adapter.send(entry('d-1:a:push'))).toEqual({ ok: true });
      expect(await adapter.send(entry('d-1:a:push'))).toEqual({ ok: true });
      expect(await adapter.send(entry('d-2:a:push'))).toEqual({ ok: true });
      expect((await jsm.streams.info(stream)).state.messages).toBe(2);
      const first = await jsm.streams.getMessage(stream, { seq: 1 });
      expect(JSON.parse(first!.string())).toMatchObject({ idempotencyKey: 'd-1:a:push', customerId: 'c1', message: { headline: 'Could your cash work harder?' } });
      // No stream binds this subject: a refusal, not a success.
      const nowhere = new NatsAdapter({ channel: 'push', servers: NATS, subject: `nbtrig.${run}.nowhere`, timeoutMs: 1000 });
      expect(await nowhere.send(entry('d-3:a:push'))).toMatchObject({ ok: false });
      await nowhere.close();
    } finally {
      await adapter.close();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});
