/**
 * The rig of readingsEquivalence.test.ts, shared with its PostgreSQL run in test/integration:
 * a seeded event stream, real online features (bank pack) and served scores, the trigger
 * consumer with limited readings beside the consumer as it was (oracle/), and the checks that
 * they fire and remember the same.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { triggerReadings } from '../../src/engine/triggers.js';
import { BANK_PACK, FeatureSet, OnlineFeatureStore } from '../../src/features/index.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { Champions } from '../../src/training/index.js';
import {
  compileTriggers,
  parseTriggerSet,
  parseTriggerYaml,
  readingKeys,
  TriggerConsumer,
  type CompiledTrigger,
  type FireLog,
  type ReadingKeys,
  type Readings,
  type TriggerDecisionRequest,
  type TriggerInput,
} from '../../src/triggers/index.js';
import { FullReadingsConsumer } from './oracle/fullReadingsConsumer.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T08:00:00Z');

/** A small seeded generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded stream: logins that come and go, card spend, balances that dip into overdraft, loan repayments that slip, hardship calls, deposits large and small, life events. */
function eventStream(seed: number, customers: number, days: number): StoredEvent[] {
  const r = rng(seed);
  const out: StoredEvent[] = [];
  let seq = 0;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  // Each customer has a mood that drifts: active or quiet, solvent or stretched.
  const mood = Array.from({ length: customers }, () => ({ active: r(), stretched: r() < 0.3 ? 0.9 : 0.1 }));
  for (let day = 0; day < days; day++) {
    for (let c = 0; c < customers; c++) {
      const m = mood[c]!;
      m.active = Math.min(1, Math.max(0, m.active + (r() - 0.5) * 0.3));
      // Spells of overdraft that start and end (the stress state rises and eases with them).
      if (r() < 1 / 50) m.stretched = m.stretched > 0.5 ? 0.1 * r() : 0.8 + 0.2 * r();
      const customerId = `c${c}`;
      const todays: { type: string; payload: Record<string, unknown> }[] = [];
      if (r() < m.active) for (let k = 0; k < 1 + Math.floor(r() * 3); k++) todays.push({ type: 'login', payload: { channel: pick(['mobile_app', 'web']) } });
      if (r() < 0.5) todays.push({ type: 'card_payment', payload: { amount: { minor: -Math.floor(500 + r() * 20_000), currency: 'GBP' }, merchantCategoryCode: pick(['5411', '5812', '4511']), merchantCountry: 'GB' } });
      if (r() < 0.8) todays.push({ type: 'balance_snapshot', payload: { accountId: `a${c}`, accountType: 'current', balance: { minor: Math.floor((0.6 - m.stretched) * 200_000 + (r() - 0.5) * 50_000), currency: 'GBP' } } });
      if (day % 30 === c % 30) todays.push({ type: 'loan_repayment', payload: { loanId: `l${c}`, amount: { minor: -20_000, currency: 'GBP' }, status: r() < m.stretched * 0.1 ? pick(['late', 'missed']) : 'paid' } });
      if (r() < m.stretched * 0.005) todays.push({ type: 'contact_centre', payload: { channel: 'phone', topics: [pick(['hardship', 'arrears', 'card_lost'])] } });
      if (r() < 0.04) todays.push({ type: 'deposit', payload: { accountId: `a${c}`, amount: { minor: Math.floor(r() < 0.3 ? 5_000_000 + r() * 1_000_000 : 10_000 + r() * 200_000), currency: 'GBP' } } });
      if (r() < 0.02) todays.push({ type: 'transfer_in', payload: { accountId: `a${c}`, amount: { minor: 6_000_000, currency: 'GBP' }, ownAccount: r() < 0.5 } });
      if (r() < 0.004) todays.push({ type: 'life_event', payload: { kind: pick(['job_loss', 'new_job', 'house_move']) } });
      for (const e of todays) {
        // Mostly today, now and then a late arrival from last week (history: it moves state but fires nothing).
        const at = T0 + day * DAY + Math.floor(r() * DAY * 0.9) - (r() < 0.03 ? 7 * DAY : 0);
        seq++;
        const event = BankEvent.parse({ eventId: `e${seq}`, customerId, occurredAt: new Date(at).toISOString(), schemaVersion: 1, ...e });
        out.push({ seq, t: at, recordedAt: at, event });
      }
    }
  }
  // The log is in arrival order: the day's events interleaved across customers.
  return out.sort((a, b) => Math.floor(a.t / DAY) - Math.floor(b.t / DAY) || a.seq - b.seq).map((e, i) => ({ ...e, seq: i + 1 }));
}

export const shipped = parseTriggerYaml(readFileSync(new URL('../../catalogue/triggers.yaml', import.meta.url), 'utf8')).triggers as TriggerInput[];
const common = { consider: { families: ['retention'] }, channels: { preferred: true, fallbacks: ['email' as const] } };
/** Thresholds on features and on scores, conditions that read before and after, an event pattern reading the profile, a life event, an absence. */
export const custom: TriggerInput[] = [
  { ...common, id: 'spend_rose', kind: 'threshold', measure: 'profile.card_spend_30d', above: 1500, oncePer: '7d', priority: 20, condition: 'context.before.profile.card_spend_30d != profile.card_spend_30d' },
  { ...common, id: 'balance_dipped', kind: 'threshold', measure: 'profile.current_balance_min_90d', below: 0, oncePer: '14d', priority: 30, condition: 'profile.overdraft_days_90d >= 1.0' },
  { ...common, id: 'stress_eased', kind: 'threshold', measure: 'scores.financial_stress', below: 0.5, oncePer: '7d', priority: 40, condition: 'context.before.scores.financial_stress >= 1.0' },
  { ...common, id: 'arrears', kind: 'threshold', measure: 'scores.financial_stress', above: 1.5, oncePer: '30d', priority: 95 },
  { ...common, id: 'logins_recovered', kind: 'threshold', measure: 'profile.logins_trend_30d', above: 1.5, oncePer: '10d', priority: 10, condition: 'has(context.before.profile.logins_trend_30d) && profile.logins_30d > 2.0' },
  { ...common, id: 'deposit_spender', kind: 'event', events: ['deposit'], oncePer: '5d', priority: 60, condition: 'event.payload.amount.minor >= 100000 && profile.card_spend_30d > 200.0' },
  { ...common, id: 'job_lost', kind: 'life_event', kinds: ['job_loss'], oncePer: '30d', priority: 99, condition: 'scores.financial_stress >= 0.0' },
  { ...common, id: 'went_quiet', kind: 'absence', events: ['login'], days: 20, oncePer: '30d', condition: 'profile.card_spend_30d >= 0.0' },
];

/** The same triggers edited: levels moved, some turned off, one removed whose keys others still read. */
export function edited(set: TriggerInput[]): TriggerInput[] {
  return set
    .filter((t) => t.id !== 'deposit_spender')
    .map((t) => (t.id === 'spend_rose' ? { ...t, above: 900 } : t.id === 'declining_activity_retention' || t.id === 'arrears' ? { ...t, enabled: false } : t));
}

export const compile = (set: TriggerInput[]) => compileTriggers(parseTriggerSet({ triggers: set }));

/** The readings restricted to what a set reads. */
function restricted(r: Readings | undefined, keys: ReadingKeys): unknown {
  if (!r) return undefined;
  const pick = (m: Readonly<Record<string, unknown>>, k: ReadonlySet<string> | 'all') => (k === 'all' ? { ...m } : Object.fromEntries(Object.entries(m).filter(([n]) => k.has(n))));
  return { profile: pick(r.profile, keys.profile), scores: pick(r.scores, keys.scores) };
}

export async function run(phases: CompiledTrigger[][], o: { fires: () => FireLog | Promise<FireLog>; seed: number; customers: number; days: number }) {
  const events = eventStream(o.seed, o.customers, o.days);
  const features = FeatureSet.compile(BANK_PACK);
  const online = new OnlineFeatureStore(features, new MemoryProfileStore(), { decodedCacheSize: 4 });
  const champions = await Champions.load(new MemoryModelRegistry(), features.version);
  let now = T0;
  const readings = triggerReadings(online, () => champions, () => now);
  let triggers = phases[0]!;
  const chooser = (r: TriggerDecisionRequest) => (r.requestId.length + r.channel.length + r.customerId.length) % 3 !== 0;
  const make = () => {
    const requests: TriggerDecisionRequest[] = [];
    const deps = {
      triggers: () => triggers,
      customer: async () => ({ preferredChannel: 'push' as const, view: {} }),
      decide: async (r: TriggerDecisionRequest) => {
        requests.push(r);
        return { decisionId: `d:${r.requestId}`, chosen: chooser(r) ? [{ actionId: 'a1' }] : [] };
      },
      firesFrom: () => now - 3 * DAY,
      maxFiresPerEvent: 2,
    };
    return { requests, deps };
  };
  const old = make();
  const oldFires = await o.fires();
  const askedFor: ReadingKeys[] = [];
  const oracle = new FullReadingsConsumer({ ...old.deps, fires: oldFires, readings: (id) => readings(id) });
  const neu = make();
  const newFires = await o.fires();
  const consumer = new TriggerConsumer({
    ...neu.deps,
    fires: newFires,
    readings: (id, keys) => {
      askedFor.push(keys);
      return readings(id, keys);
    },
  });
  await oracle.open();
  await consumer.open();
  const r = rng(o.seed + 1);
  let fullReadingsChecked = 0;
  let readingsCompared = 0;
  for (let i = 0, batch = 0; i < events.length; batch++) {
    const size = 1 + Math.floor(r() * 60);
    const slice = events.slice(i, i + size);
    i += size;
    triggers = phases[Math.min(phases.length - 1, Math.floor((batch * phases.length * 40) / events.length))]!;
    await online.apply(slice);
    // The clock a little past the batch (sometimes days past: windows slide with no event).
    now = Math.max(now, slice[slice.length - 1]!.t + Math.floor(r() * (r() < 0.1 ? 3 * DAY : 3_600_000)));
    await oracle.apply(slice);
    await consumer.apply(slice);
    if (batch % 7 === 0) {
      const [a, b] = [await oracle.sweep(now), await consumer.sweep(now)];
      expect(b.map((f) => f.fireId)).toEqual(a.map((f) => f.fireId));
    }
    // The same readings for every key the set reads, for every customer of the batch.
    const keys = readingKeys(triggers);
    for (const id of new Set(slice.map((e) => e.event.customerId))) {
      expect(restricted(await newFires.lastReadings(id), keys), `readings of ${id} after batch ${batch}`).toEqual(restricted(await oldFires.lastReadings(id), keys));
      readingsCompared++;
    }
    // Every feature and score through the lookup equals the full read.
    if (batch % 5 === 0) {
      const id = slice[0]!.event.customerId;
      const all = await readings(id);
      const every = { profile: new Set(Object.keys(all.profile)), scores: new Set(['financial_stress', 'churn_risk', 'segment', 'prepayment_risk', 'activity_state', 'p_dormant_90d', 'clv']) };
      expect(await readings(id, every)).toEqual(all);
      fullReadingsChecked++;
    }
  }
  return { old, neu, oldFires, newFires, askedFor, events, readingsCompared, fullReadingsChecked };
}


/**
 * Runs `sets` (phases of one stream, edited between) on both consumers, each with its own fire
 * log from `fires`, and checks the same fires, decisions and readings, and that the stream fired enough
 * of each trigger for that to mean something.
 */
export async function expectSameAsFullReadings(sets: TriggerInput[][], seed: number, fires: () => FireLog | Promise<FireLog>, size = { customers: 30, days: 150 }): Promise<void> {
  const phases = sets.map(compile);
  const out = await run(phases, { fires, seed, ...size });
  const full = size.customers >= 30;
  const fired = async (log: FireLog) => (await log.recent(100_000)).map((r) => ({ id: r.fire.fireId, reason: r.fire.reason, channels: r.fire.channels, outcome: r.outcome })).sort((a, b) => (a.id < b.id ? -1 : 1));
  const oldFired = await fired(out.oldFires);
  expect(await fired(out.newFires)).toEqual(oldFired);
  expect(out.neu.requests).toEqual(out.old.requests);
  // The stream is one that fires, threshold triggers among them, or the comparison says little.
  const kinds = new Set(oldFired.map((f) => f.id.split(':')[0]));
  expect(oldFired.length).toBeGreaterThan(10);
  expect(kinds).toContain('financial_stress_refinancing');
  expect(kinds).toContain('declining_activity_retention');
  // (A smaller stream, as on PostgreSQL, need not fire every custom trigger.)
  if (phases.length > 1 && full) for (const id of ['spend_rose', 'balance_dipped', 'stress_eased', 'logins_recovered', 'deposit_spender', 'job_lost', 'went_quiet']) expect(kinds, id).toContain(id);
  expect(out.readingsCompared).toBeGreaterThan(full ? 1000 : 300);
  expect(out.fullReadingsChecked).toBeGreaterThan(full ? 10 : 3);
  // Only the keys the set reads were asked for.
  const list = (k: ReadingKeys) => JSON.stringify([k.profile === 'all' ? 'all' : [...k.profile].sort(), k.scores === 'all' ? 'all' : [...k.scores].sort()]);
  expect(new Set(out.askedFor.map(list))).toEqual(new Set([list(readingKeys(phases[0]!))]));
}
