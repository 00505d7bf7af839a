import { NextbestError } from '../../core/errors.js';
import type { ContactSink } from './contactRebuild.js';
import { CAP_RACE_MS, type ContactReservation, type CapacityTake, type CapCheck, type CommitResult, type ContactHistory, type ContactRecord, type ContactStore, type DeclineRecord } from '../contactStore.js';
import { LuaScript, releaseRedis, type RedisAdapterOptions, type RedisClient } from './client.js';

// A member is `<16-digit sequence>|<record JSON>`: unique even for two equal records, and
// ordered by arrival among contacts at the same time (members of equal score sort by bytes).
const SEQ_WIDTH = 16;

/**
 * KEYS: the customer's contacts, the sequence counter, the marker that the history is
 * complete, the reservations, then one capacity counter per take. With `guard` and no marker
 * (Redis lost): 'lost', nothing written.
 * ARGV[1]: {now, longest, caps, maxes, reservation}; ARGV[2..]: the contacts as JSON.
 * Counts what each cap matches among stored and new contacts (the rule of capCountsAtCommit in
 * contactStore.ts), checks every counter, and only then writes: all or nothing.
 */
const COMMIT = new LuaScript(`
local h = cjson.decode(ARGV[1])
if h.guard and redis.call('EXISTS', KEYS[3]) == 0 then return {'lost'} end
if #ARGV > 1 and #h.caps > 0 then
  local rows = {}
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], h.now - h.longest, '+inf')) do
    rows[#rows + 1] = cjson.decode(string.sub(m, ${SEQ_WIDTH + 2}))
  end
  for i = 2, #ARGV do rows[#rows + 1] = cjson.decode(ARGV[i]) end
  for ci, cap in ipairs(h.caps) do
    local used = 0
    for _, c in ipairs(rows) do
      if (cap.channel == '*' or cap.channel == c.channel) and (cap.family == nil or cap.family == c.family) and c.at > h.now - cap.periodMs and c.at <= h.now + ${CAP_RACE_MS} then
        used = used + 1
      end
    end
    if used > cap.max then return {'cap', ci} end
  end
end
for i, max in ipairs(h.maxes) do
  if tonumber(redis.call('GET', KEYS[4 + i]) or '0') >= max then return {'capacity', i} end
end
for i = 1, #h.maxes do redis.call('INCR', KEYS[4 + i]) end
if h.reservation then redis.call('HSET', KEYS[4], h.reservation.d, cjson.encode(h.reservation)) end
for i = 2, #ARGV do
  local c = cjson.decode(ARGV[i])
  redis.call('ZADD', KEYS[1], c.at, string.format('%0${SEQ_WIDTH}d', redis.call('INCR', KEYS[2])) .. '|' .. ARGV[i])
end
return {'ok'}
`);

/**
 * KEYS: the customer's declines, the sequence counter, the customer's decline event ids.
 * ARGV: at, the decline as JSON, its event id ('' when none). A decline is stored once per event.
 */
const DECLINE = new LuaScript(`
if ARGV[3] ~= '' and redis.call('SADD', KEYS[3], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], string.format('%0${SEQ_WIDTH}d', redis.call('INCR', KEYS[2])) .. '|' .. ARGV[2])
return 1
`);

/**
 * KEYS: the customer's contacts, then one capacity counter per take. ARGV[1]: the decision id.
 * Removes the decision's contacts and, only if there were any, gives back one take of each counter.
 */
const RETRACT = new LuaScript(`
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(string.sub(m, ${SEQ_WIDTH + 2})).decisionId == ARGV[1] then
    redis.call('ZREM', KEYS[1], m)
    n = n + 1
  end
end
if n > 0 then
  for i = 2, #KEYS do
    if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
  end
end
return n
`);

/**
 * KEYS: the customer's contacts. ARGV: decision id, action id, channel. Removes one contact of
 * that decision's action on that channel (a failed or cancelled delivery); 1 when one was there.
 */
const RELEASE = new LuaScript(`
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local c = cjson.decode(string.sub(m, ${SEQ_WIDTH + 2}))
  if c.decisionId == ARGV[1] and c.actionId == ARGV[2] and c.channel == ARGV[3] then
    redis.call('ZREM', KEYS[1], m)
    return 1
  end
end
return 0
`);

/**
 * Contact history and capacity counters in Redis, shared by every instance. A commit is
 * one Lua script that checks every cap and every counter and then writes, so a cap of one
 * holds however many instances decide for the customer at once. Contacts are kept in a
 * sorted set per customer, scored by time.
 *
 * The script touches the customer's key, the sequence and the capacity keys together:
 * on a Redis Cluster they would have to share a hash slot (a `{tag}` in the prefix), so
 * this adapter is for one Redis (with replicas), which is what was run here.
 */
export class RedisContactStore implements ContactStore, ContactSink {
  private readonly p: string;
  private rebuilding: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly o: RedisAdapterOptions & {
      /** Rebuilds the history from the logs into this store when Redis lost it (none: a lost history is refused with NOT_READY). */
      rebuild?: (sink: ContactSink) => Promise<unknown>;
      /** How long an instance waits for another's rebuild before NOT_READY (ms). */
      rebuildWaitMs?: number;
    } = {},
  ) {
    this.p = o.prefix ?? 'nextbest:';
  }

  /**
   * Makes sure the history is complete: when the marker is missing (a new Redis, or one that
   * lost its data) one instance rebuilds it from the logs under a lock while commits wait.
   */
  ensureComplete(): Promise<void> {
    this.rebuilding ??= this.complete().finally(() => (this.rebuilding = undefined));
    return this.rebuilding;
  }

  private async complete(): Promise<void> {
    const marker = `${this.p}contacts-complete`;
    if ((await this.redis.exists(marker)) === 1) return;
    const lock = `${this.p}contacts-rebuild-lock`;
    if (this.o.rebuild && (await this.redis.set(lock, '1', 'PX', 300_000, 'NX')) === 'OK') {
      try {
        await this.o.rebuild(this);
        await this.redis.set(marker, String(Date.now()));
      } finally {
        await this.redis.del(lock);
      }
      return;
    }
    const until = Date.now() + (this.o.rebuildWaitMs ?? 30_000);
    while (Date.now() < until) {
      if ((await this.redis.exists(marker)) === 1) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new NextbestError('NOT_READY', 'the contact history in Redis is incomplete (Redis lost its data) and is being rebuilt from the decision log: retry shortly');
  }

  async restoreContacts(customerId: string, contacts: readonly ContactRecord[]): Promise<void> {
    if (contacts.length === 0) return;
    const key = `${this.p}contacts:${customerId}`;
    const last = await this.redis.incrby(`${this.p}contact-seq`, contacts.length);
    // The logs are the whole truth for the window: the customer's key is replaced, so a rebuild run twice counts each contact once.
    const m = this.redis.multi().del(key);
    contacts.forEach((c, i) => m.zadd(key, c.at, `${String(last - contacts.length + 1 + i).padStart(SEQ_WIDTH, '0')}|${recordJson(c)}`));
    await m.exec();
  }

  async restoreCapacity(used: ReadonlyMap<string, number>): Promise<void> {
    if (used.size === 0) return;
    await this.redis.mset(...[...used].flatMap(([k, n]) => [`${this.p}capacity:${k}`, String(n)]));
  }

  async history(customerId: string, sinceMs: number): Promise<ContactHistory> {
    const read = () =>
      Promise.all([
        this.redis.zrangebyscore(`${this.p}contacts:${customerId}`, sinceMs, '+inf'),
        this.redis.zrangebyscore(`${this.p}declines:${customerId}`, sinceMs, '+inf'),
        this.o.rebuild ? this.redis.exists(`${this.p}contacts-complete`) : Promise.resolve(1),
      ]);
    const first = await read();
    let [contacts, declines] = first;
    // A history Redis forgot would let a declined action back before its cool-down: rebuild it first.
    if (first[2] === 0) {
      await this.ensureComplete();
      [contacts, declines] = await read();
    }
    const parse = <T>(m: string) => JSON.parse(m.slice(SEQ_WIDTH + 1)) as T;
    return { contacts: contacts.map((m) => parse<ContactRecord>(m)), declines: declines.map((m) => parse<DeclineRecord>(m)) };
  }

  async commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[]): Promise<CommitResult> {
    const now = contacts.reduce((m, c) => Math.max(m, c.at), 0);
    const longest = caps.reduce((m, c) => Math.max(m, c.periodMs), 0);
    // cjson decodes an empty JSON array as an empty object; both have length 0 in Lua.
    // The reservation's keys as a string: cjson would turn an empty array into an object.
    const reservation = contacts.length > 0 ? { d: contacts[0]!.decisionId, c: customerId, at: now, k: JSON.stringify(capacity.map((t) => t.key)) } : undefined;
    const header = JSON.stringify({ guard: this.o.rebuild !== undefined, now, longest, caps: caps.map((c) => ({ channel: c.channel, family: c.family, max: c.max, periodMs: c.periodMs })), maxes: capacity.map((t) => t.max), ...(reservation ? { reservation } : {}) });
    const keys = [`${this.p}contacts:${customerId}`, `${this.p}contact-seq`, `${this.p}contacts-complete`, `${this.p}contact-reservations`, ...capacity.map((t) => `${this.p}capacity:${t.key}`)];
    const args = [header, ...contacts.map(recordJson)];
    let out = (await COMMIT.run(this.redis, keys, args)) as [string, number?];
    if (out[0] === 'lost') {
      // Caps counted on a history Redis forgot would let contacts through: rebuild it first.
      await this.ensureComplete();
      out = (await COMMIT.run(this.redis, keys, args)) as [string, number?];
      if (out[0] === 'lost') throw new NextbestError('NOT_READY', 'the contact history in Redis was lost again while it was rebuilt: retry shortly');
    }
    if (out[0] === 'cap') return { ok: false, reason: 'cap', cap: caps[out[1]! - 1]! };
    if (out[0] === 'capacity') return { ok: false, reason: 'capacity', key: capacity[out[1]! - 1]!.key };
    return { ok: true };
  }

  async capacityUsed(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    return (await this.redis.mget(...keys.map((k) => `${this.p}capacity:${k}`))).map((v) => (v === null ? 0 : Number(v)));
  }

  async recordDecline(customerId: string, decline: DeclineRecord): Promise<void> {
    const record: DeclineRecord = { actionId: decline.actionId, family: decline.family, at: decline.at };
    if (decline.eventId !== undefined) record.eventId = decline.eventId;
    await DECLINE.run(this.redis, [`${this.p}declines:${customerId}`, `${this.p}contact-seq`, `${this.p}decline-events:${customerId}`], [decline.at, JSON.stringify(record), decline.eventId ?? '']);
  }

  async confirm(decisionIds: readonly string[]): Promise<void> {
    if (decisionIds.length > 0) await this.redis.hdel(`${this.p}contact-reservations`, ...decisionIds);
  }

  async reservations(atOrBefore: number): Promise<ContactReservation[]> {
    const all = await this.redis.hvals(`${this.p}contact-reservations`);
    return all
      .map((v) => JSON.parse(v) as { d: string; c: string; at: number; k: string })
      .filter((r) => r.at <= atOrBefore)
      .map((r) => ({ decisionId: r.d, customerId: r.c, at: r.at, capacityKeys: JSON.parse(r.k) as string[] }));
  }

  async eraseCustomer(customerId: string): Promise<number> {
    // The customer's reservations name them: they go too.
    const held = await this.redis.hgetall(`${this.p}contact-reservations`);
    const theirs = Object.entries(held).filter(([, v]) => (JSON.parse(v) as { c: string }).c === customerId).map(([d]) => d);
    if (theirs.length > 0) await this.redis.hdel(`${this.p}contact-reservations`, ...theirs);
    const c = `${this.p}contacts:${customerId}`;
    const d = `${this.p}declines:${customerId}`;
    const out = await this.redis.multi().zcard(c).zcard(d).del(c, d, `${this.p}decline-events:${customerId}`).exec();
    return Number(out?.[0]?.[1] ?? 0) + Number(out?.[1]?.[1] ?? 0);
  }

  async retract(customerId: string, decisionId: string, capacityKeys: readonly string[]): Promise<number> {
    const n = Number(await RETRACT.run(this.redis, [`${this.p}contacts:${customerId}`, ...capacityKeys.map((k) => `${this.p}capacity:${k}`)], [decisionId]));
    await this.confirm([decisionId]);
    return n;
  }

  /** Gives back one contact whose delivery failed or was cancelled: it no longer counts against the caps. */
  async release(customerId: string, c: { decisionId: string; actionId: string; channel: string }): Promise<boolean> {
    return Number(await RELEASE.run(this.redis, [`${this.p}contacts:${customerId}`], [c.decisionId, c.actionId, c.channel])) === 1;
  }

  async close(): Promise<void> {
    await releaseRedis(this.redis, this.o.ownsClient);
  }
}

/** Only the record's own fields, in one order: what history() gives back. */
function recordJson(c: ContactRecord): string {
  const r: ContactRecord = { decisionId: c.decisionId, actionId: c.actionId, family: c.family, channel: c.channel, at: c.at };
  if (c.sessionId !== undefined) r.sessionId = c.sessionId;
  return JSON.stringify(r);
}
