/**
 * Erasures reach every instance's memory: an instance that erased a customer announces it
 * with NOTIFY once the stores no longer hold the customer's events, and every other
 * instance on the schema LISTENs and drops the customer from the state it holds in memory
 * (online features, triggers, journeys), which it would otherwise keep using and save
 * back. The id travels encrypted (AES-256-GCM under a key derived from the schema's
 * tombstone key), so PostgreSQL's notification queue never holds it in the clear.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';

/** One channel per database; the payload names the schema, so deployments sharing a database ignore each other. */
export const ERASURE_CHANNEL = 'nextbest_erasure';

interface Notice {
  /** The schema. */
  s: string;
  /** The announcing instance (it already erased its own memory). */
  i: string;
  /** iv (12) | tag (16) | ciphertext, base64. */
  c: string;
}

export interface ErasureNoticeOptions {
  url: string;
  schema: string;
  tombstoneKey: Uint8Array;
  /** Told when the listening connection failed (it reconnects by itself). */
  onWarning?: (message: string) => void;
  /** Milliseconds between reconnection attempts (default 1000). */
  retryMs?: number;
}

export class PgErasureNotices {
  private readonly key: Buffer;
  private readonly instance = randomBytes(8).toString('hex');
  private client: pg.Client | undefined;
  private listeners: ((customerId: string) => void)[] = [];
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: ErasureNoticeOptions,
  ) {
    this.key = createHmac('sha256', o.tombstoneKey).update('nextbest erasure notices').digest();
  }

  /** Tells the other instances that `customerId` was erased. */
  async announce(customerId: string): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(customerId, 'utf8'), cipher.final()]);
    const notice: Notice = { s: this.o.schema, i: this.instance, c: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
    await this.pool.query('SELECT pg_notify($1, $2)', [ERASURE_CHANNEL, JSON.stringify(notice)]);
  }

  /** Calls `onErased` for each erasure another instance announces from now on; resolves once listening. */
  listen(onErased: (customerId: string) => void): Promise<void> {
    this.listeners.push(onErased);
    this.ready ??= this.connect();
    return this.ready;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.o.url });
    client.on('notification', (m) => {
      if (m.channel === ERASURE_CHANNEL && m.payload) this.heard(m.payload);
    });
    const lost = (e?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.o.onWarning?.(`the erasure listener lost its PostgreSQL connection${e ? ` (${e.message})` : ''}; reconnecting`);
      this.retry = setTimeout(() => void this.connect().catch(() => undefined), this.o.retryMs ?? 1000);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${ERASURE_CHANNEL}`);
    } catch (e) {
      lost(e as Error);
      throw e;
    }
  }

  private heard(payload: string): void {
    let id: string;
    try {
      const n = JSON.parse(payload) as Notice;
      if (n.s !== this.o.schema || n.i === this.instance) return;
      const raw = Buffer.from(n.c, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      id = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return; // not ours (another key) or not a notice
    }
    for (const l of this.listeners) l(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
