import type { ProfileCheckpoint, ProfileSnapshot, ProfileStore } from '../profileStore.js';
import { releaseRedis, type RedisAdapterOptions, type RedisClient } from './client.js';

/**
 * Saved online feature state in Redis, read by every instance: one binary string per
 * customer, a sorted set of the ids (score 0, so it pages in byte order), and the
 * checkpoint in a hash. A commit is one MULTI/EXEC: Redis applies it whole, so no reader
 * sees states of a batch without its checkpoint. Redis is a cache of the log here: if it
 * is lost, the checkpoint goes with it and the states are rebuilt by replaying the log.
 */
export class RedisProfileStore implements ProfileStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly o: RedisAdapterOptions = {},
  ) {
    this.p = o.prefix ?? 'nextbest:';
  }

  private key(id: string): string {
    return `${this.p}profile:${id}`;
  }

  async getMany(customerIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (customerIds.length === 0) return [];
    const got = await this.redis.mgetBuffer(...customerIds.map((id) => this.key(id)));
    return got.map((b) => (b ? new Uint8Array(b) : undefined));
  }

  async commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint; partition?: number }): Promise<void> {
    const m = this.redis.multi();
    for (const s of batch.put) m.set(this.key(s.customerId), Buffer.from(s.state));
    if (batch.put.length > 0) m.zadd(`${this.p}profiles`, ...batch.put.flatMap((s) => [0, s.customerId]));
    if (batch.remove.length > 0) {
      m.del(...batch.remove.map((id) => this.key(id)));
      m.zrem(`${this.p}profiles`, ...batch.remove);
    }
    if (batch.partition === undefined) m.hset(`${this.p}profile-checkpoint`, 'seq', batch.checkpoint.seq, 'version', batch.checkpoint.version);
    else m.hset(`${this.p}profile-partitions`, String(batch.partition), `${batch.checkpoint.seq} ${batch.checkpoint.version}`);
    const results = await m.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`Redis profile commit failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }

  async checkpoint(): Promise<ProfileCheckpoint | undefined> {
    const h = await this.redis.hgetall(`${this.p}profile-checkpoint`);
    return h.seq === undefined || h.version === undefined ? undefined : { seq: Number(h.seq), version: h.version };
  }

  async partitionCheckpoint(partition: number): Promise<ProfileCheckpoint | undefined> {
    const v = await this.redis.hget(`${this.p}profile-partitions`, String(partition));
    if (v === null) return undefined;
    const at = v.indexOf(' ');
    return { seq: Number(v.slice(0, at)), version: v.slice(at + 1) };
  }

  async forget(customerIds: readonly string[]): Promise<void> {
    if (customerIds.length === 0) return;
    await this.redis.multi().del(...customerIds.map((id) => this.key(id))).zrem(`${this.p}profiles`, ...customerIds).exec();
  }

  async *customerIds(batchSize = 1000): AsyncIterable<string[]> {
    let from = '-';
    for (;;) {
      const ids = await this.redis.zrangebylex(`${this.p}profiles`, from, '+', 'LIMIT', 0, batchSize);
      if (ids.length === 0) return;
      from = `(${ids[ids.length - 1]!}`;
      yield ids;
      if (ids.length < batchSize) return;
    }
  }

  async clear(): Promise<void> {
    // The checkpoint goes first: if this stops half way, what is left has no checkpoint
    // and is rebuilt from the start of the log, never trusted as current.
    await this.redis.del(`${this.p}profile-checkpoint`, `${this.p}profile-partitions`);
    for (;;) {
      const ids = await this.redis.zrange(`${this.p}profiles`, 0, 999);
      if (ids.length === 0) return;
      await this.redis
        .multi()
        .del(...ids.map((id) => this.key(id)))
        .zrem(`${this.p}profiles`, ...ids)
        .exec();
    }
  }

  async count(): Promise<number> {
    return this.redis.zcard(`${this.p}profiles`);
  }

  async close(): Promise<void> {
    await releaseRedis(this.redis, this.o.ownsClient);
  }
}
