import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { IngestReport } from './pipeline.js';
import { UnparseableItem } from './check.js';
import { partitionOf } from '../store/bus.js';

/** Where events arrive on NATS JetStream. */
export interface StreamSourceOptions {
  servers: string;
  /** Stream name; created if missing, capturing `${subjectPrefix}.>`. */
  stream?: string;
  subjectPrefix?: string;
  /** Durable consumer name: its position survives restarts. */
  durable?: string;
  /** Messages per durable batch. */
  batchSize?: number;
  /** How long one fetch waits for messages (ms). */
  fetchExpiresMs?: number;
  /** How long NATS waits for an ack before redelivering a batch (ms); set when the durable consumer is created. */
  ackWaitMs?: number;
  /** Stop after this long without a message (ms); omit to run until aborted. */
  idleExitMs?: number;
}

export const STREAM_DEFAULTS = { stream: 'NEXTBEST_EVENTS', subjectPrefix: 'nextbest.events', durable: 'nextbest-ingest', batchSize: 500, fetchExpiresMs: 1000, ackWaitMs: 30_000 };

/** Subjects a customer's events are spread over (by `partitionOf`, so one customer's events stay in order on one subject). */
const SUBJECT_PARTITIONS = 16;

async function ensureStream(nc: NatsConnection, stream: string, subjectPrefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}.>`] });
  }
}

/** Publishes events to the stream, subject `<prefix>.<partition>`; resolves when JetStream has stored them. */
export async function publishEvents(servers: string, events: readonly unknown[], options: { stream?: string; subjectPrefix?: string } = {}): Promise<number> {
  const stream = options.stream ?? STREAM_DEFAULTS.stream;
  const prefix = options.subjectPrefix ?? STREAM_DEFAULTS.subjectPrefix;
  const nc = await connect({ servers });
  try {
    await ensureStream(nc, stream, prefix);
    const js = jetstream(nc);
    let n = 0;
    const inFlight: Promise<unknown>[] = [];
    for (const e of events) {
      const customerId = e && typeof e === 'object' && typeof (e as { customerId?: unknown }).customerId === 'string' ? (e as { customerId: string }).customerId : '';
      const body = typeof e === 'string' ? e : JSON.stringify(e);
      inFlight.push(js.publish(`${prefix}.${partitionOf(customerId, SUBJECT_PARTITIONS)}`, body));
      if (inFlight.length >= 256) await Promise.all(inFlight.splice(0));
      n++;
    }
    await Promise.all(inFlight);
    return n;
  } finally {
    await nc.close();
  }
}

/**
 * Consumes events from JetStream into the log. A batch is acknowledged to NATS only
 * after `ingest` has made it durable, so a crash redelivers it and idempotency on
 * eventId turns the redelivery into duplicates: nothing is lost, nothing doubled.
 * Rejected messages are acknowledged too (they are in the quarantine, and redelivering
 * them would never succeed).
 */
export async function consumeStream(
  options: StreamSourceOptions,
  ingest: (items: unknown[], rawText: string[]) => Promise<IngestReport>,
  control: { signal?: AbortSignal; onBatch?: (r: IngestReport, totals: StreamTotals) => void } = {},
): Promise<StreamTotals> {
  const o = { ...STREAM_DEFAULTS, ...options };
  const nc = await connect({ servers: o.servers });
  const totals: StreamTotals = { messages: 0, accepted: 0, duplicates: 0, rejected: 0 };
  try {
    await ensureStream(nc, o.stream, o.subjectPrefix);
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.consumers.info(o.stream, o.durable);
    } catch {
      await jsm.consumers.add(o.stream, { durable_name: o.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: o.ackWaitMs * 1_000_000, max_ack_pending: 100_000 });
    }
    const consumer = await jetstream(nc).consumers.get(o.stream, o.durable);
    let idleSince = Date.now();
    while (!control.signal?.aborted) {
      const msgs: JsMsg[] = [];
      const batch = await consumer.fetch({ max_messages: o.batchSize, expires: o.fetchExpiresMs });
      for await (const m of batch) msgs.push(m);
      if (msgs.length === 0) {
        if (o.idleExitMs !== undefined && Date.now() - idleSince >= o.idleExitMs) break;
        continue;
      }
      idleSince = Date.now();
      const rawText = msgs.map((m) => m.string());
      const items = rawText.map((text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch (e) {
          return new UnparseableItem([{ field: '', rule: 'json', message: `message is not valid JSON: ${(e as Error).message}` }]);
        }
      });
      let report: IngestReport;
      try {
        report = await ingest(items, rawText);
      } catch (e) {
        for (const m of msgs) m.nak(1000);
        throw e;
      }
      for (const m of msgs) m.ack();
      totals.messages += msgs.length;
      totals.accepted += report.accepted;
      totals.duplicates += report.duplicates;
      totals.rejected += report.rejected;
      control.onBatch?.(report, totals);
    }
    return totals;
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

export interface StreamTotals {
  messages: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}
