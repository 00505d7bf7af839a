import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export type RedisClient = Redis;

/**
 * Connects to Redis at a `redis://` URL. Commands wait (queued) while it reconnects.
 * Commands issued in the same tick (many decisions' reads) go out in one write.
 */
export function openRedis(url: string): RedisClient {
  return new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false, enableAutoPipelining: true });
}

/**
 * A Lua script run by its SHA (EVALSHA), loaded on first use and again after a Redis
 * restart (NOSCRIPT). Redis runs a script alone, start to end: nothing from another
 * client interleaves, which is what makes check-then-write atomic across instances.
 */
export class LuaScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with these keys and arguments. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Ends the connection if the adapter owns it. */
export async function releaseRedis(redis: RedisClient, ownsClient: boolean | undefined): Promise<void> {
  if (ownsClient && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
}

/** How a Redis adapter is set up: `prefix` names its keys (one deployment or test run per prefix). */
export interface RedisAdapterOptions {
  prefix?: string;
  ownsClient?: boolean;
}
