import { createHash } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { StoredEvent } from '../../core/events.js';
import { partitionOf, type BusSubscription, type BusTransport } from '../bus.js';

export interface NatsBusOptions {
  servers: string;
  /** Stream name; its subjects are `<stream>.p.<partition>.<customer token>`. */
  stream: string;
  partitions: number;
  /** How long NATS waits for an acknowledgement before delivering again (ms). */
  ackWaitMs?: number;
}

/** Milliseconds to the nanoseconds JetStream's config takes. */
const nanos = (ms: number) => ms * 1_000_000;

/**
 * The bus on NATS JetStream: one work-queue stream, one subject per partition and
 * customer, one durable pull consumer per partition (its acknowledgements are the
 * partition's position in NATS). A message is the stored event as JSON with its log seq
 * as the message id, so the relay publishing a seq again is dropped as a duplicate.
 * Work-queue retention forgets an event once its partition acknowledged it: the stream
 * holds only what is not yet applied, and the log in PostgreSQL stays the record.
 */
export class NatsBus implements BusTransport {
  readonly partitions: number;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: Required<NatsBusOptions>,
  ) {
    this.partitions = o.partitions;
  }

  /** Connects, and creates the stream and the partitions' durable consumers when missing. */
  static async open(options: NatsBusOptions): Promise<NatsBus> {
    const o = { ackWaitMs: 10_000, ...options };
    if (!/^[A-Za-z0-9_-]+$/.test(o.stream)) throw new Error(`bus stream "${o.stream}" must be letters, digits, - and _`);
    const nc = await connect({ servers: o.servers, name: 'nextbest' });
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(o.stream);
      } catch {
        await jsm.streams.add({ name: o.stream, subjects: [`${o.stream}.p.>`], retention: RetentionPolicy.Workqueue, duplicate_window: nanos(120_000) });
      }
      for (let p = 0; p < o.partitions; p++) {
        const durable = `${o.stream}_p${p}`;
        try {
          await jsm.consumers.info(o.stream, durable);
        } catch {
          await jsm.consumers.add(o.stream, { durable_name: durable, filter_subject: `${o.stream}.p.${p}.>`, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(o.ackWaitMs), max_ack_pending: 20_000 });
        }
      }
      return new NatsBus(nc, jetstream(nc), jsm, o);
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  /** A customer's subject token: a hash, so customer ids never appear in subjects. */
  private subject(customerId: string): string {
    const token = createHash('sha256').update(customerId).digest('hex').slice(0, 24);
    return `${this.o.stream}.p.${partitionOf(customerId, this.partitions)}.${token}`;
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    // One connection keeps the order of its publishes; acks are awaited together.
    const acks = events.map((e) => this.js.publish(this.subject(e.event.customerId), JSON.stringify(e), { msgID: String(e.seq) }));
    await Promise.all(acks);
  }

  async subscribe(partition: number, maxBatch: number, onBatch: (events: StoredEvent[]) => Promise<void>): Promise<BusSubscription> {
    const consumer = await this.js.consumers.get(this.o.stream, `${this.o.stream}_p${partition}`);
    const messages = await consumer.consume({ max_messages: maxBatch, expires: 5000 });
    const run = (async () => {
      let batch: JsMsg[] = [];
      for await (const m of messages) {
        batch.push(m);
        // Apply what has arrived: a batch ends where the buffer runs dry, so one event waits for no other.
        if (messages.getPending() > 0 && batch.length < maxBatch) continue;
        const taken = batch;
        batch = [];
        try {
          await onBatch(taken.map((t) => JSON.parse(t.string()) as StoredEvent));
        } catch (e) {
          for (const t of taken) t.nak();
          messages.stop();
          throw e;
        }
        for (let i = 0; i < taken.length - 1; i++) taken[i]!.ack();
        await taken[taken.length - 1]!.ackAck();
      }
      for (const t of batch) t.nak();
    })();
    return {
      done: run,
      stop: async () => {
        messages.stop();
        await run.catch(() => undefined);
      },
    };
  }

  async pending(partition: number): Promise<number> {
    const info = await this.jsm.consumers.info(this.o.stream, `${this.o.stream}_p${partition}`);
    return info.num_pending + info.num_ack_pending;
  }

  async purgeCustomer(customerId: string): Promise<void> {
    // Message by message, erased on disk: a filtered purge moves the partition's consumer
    // past the other customers' waiting events on NATS 2.9 (seen here: nothing delivered after it).
    const subject = this.subject(customerId);
    for (;;) {
      const m = await this.jsm.streams.getMessage(this.o.stream, { last_by_subj: subject }).catch(() => null);
      if (!m) return;
      await this.jsm.streams.deleteMessage(this.o.stream, m.seq, true);
    }
  }

  async ping(timeoutMs: number): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed');
    await Promise.race([this.nc.flush(), new Promise((_, reject) => setTimeout(() => reject(new Error(`NATS did not answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/** Bus settings from `bus: nats://HOST:PORT?stream=NAME&partitions=N&lease_ms=MS` (defaults `nextbest_events`, 16, 5000). */
export function busOptionsFromUrl(url: string): NatsBusOptions & { leaseMs: number } {
  const u = new URL(url);
  const stream = u.searchParams.get('stream') ?? 'nextbest_events';
  const partitions = Number(u.searchParams.get('partitions') ?? 16);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw new Error(`bus ?partitions=${u.searchParams.get('partitions')} must be an integer from 1 to 1024`);
  const leaseMs = Number(u.searchParams.get('lease_ms') ?? 5000);
  if (!Number.isInteger(leaseMs) || leaseMs < 300) throw new Error(`bus ?lease_ms=${u.searchParams.get('lease_ms')} must be an integer of at least 300`);
  return { servers: `${u.hostname}:${u.port || 4222}`, stream, partitions, leaseMs };
}
