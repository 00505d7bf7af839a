import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { PolicyLoop, REFERENCE_POLICIES, Twin, parseScenario } from '../../src/simulation/index.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { CHURN, CONTACT_FEATURES, OFFER_ACCEPTANCE, PREPAYMENT } from '../../src/training/definitions.js';
import { ModelLifecycle, type TrainRun } from '../../src/training/index.js';
import { SnapshotStore } from '../../src/training/snapshot.js';
import { logSource, snapshotSource } from '../../src/training/source.js';
import { LogWithout } from '../../src/training/consent.js';
import { createEngine } from '../../src/engine.js';
import { appendAll, syntheticBank } from './synthetic.js';

const DAY = 86_400_000;

/** A seeded twin bank with random offers and a rate cut half way: every family has rows. */
async function twinEvents(customers: number, days: number, seed: number): Promise<{ events: BankEvent[]; end: number }> {
  const scenario = parseScenario({ name: 'snapshot', customers, days, seed, groundTruthEveryDays: 0, marketEvents: [{ day: Math.floor(days / 2), kind: 'base_rate_change', value: 3.25, previousValue: 4.75 }] });
  const twin = new Twin(scenario);
  const loop = new PolicyLoop(twin, REFERENCE_POLICIES.random!);
  const events: BankEvent[] = [];
  for (let d = 0; d < days; d++) {
    twin.beginDay(d);
    await loop.decideToday();
    for (const e of twin.events(twin.finishDay())) events.push(e as BankEvent);
  }
  return { events, end: Date.parse(scenario.startDate) + days * DAY };
}

const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nextbest-snapshot-'));
  dirs.push(d);
  return join(d, 'training-snapshot');
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('training from the columnar snapshot gives the models training from the log gives', () => {
  let bank: Awaited<ReturnType<typeof twinEvents>>;
  let log: MemoryEventLog;
  let fromLog: TrainRun;
  let fromSnapshot: TrainRun;
  let regLog: MemoryModelRegistry;
  let regSnap: MemoryModelRegistry;
  let excluded: Set<string>;

  beforeAll(async () => {
    bank = await twinEvents(220, 200, 5);
    log = new MemoryEventLog();
    await appendAll(log, bank.events);
    // Two customers object to profiling: both ways must leave them out alike.
    excluded = new Set(['c0000003', 'c0000017']);
    regLog = new MemoryModelRegistry();
    regSnap = new MemoryModelRegistry();
    const common = { log, features: () => features, now: () => bank.end, trainingExclusions: async () => excluded };
    const options = { seed: 3, gbdt: { rounds: 40 } };
    fromLog = await new ModelLifecycle(regLog, common).train({ ...options, snapshot: false });
    fromSnapshot = await new ModelLifecycle(regSnap, { ...common, snapshotDir: tempDir() }).train(options);
  }, 240_000);

  it('reads the snapshot (built on the first run) and every family trains', () => {
    expect(fromSnapshot.data).toMatchObject({ source: 'snapshot', action: 'built', rows: bank.events.length });
    expect(fromLog.data.source).toBe('log');
    const names = fromSnapshot.trained.map((t) => t.name);
    for (const n of ['segments', 'churn_90d', 'churn_cox', 'prepayment_90d', 'clv', 'activity_chain']) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith('propensity_'))).toBe(true);
  });

  it('the same window, models, metrics and artefacts (so the same predictions) as from the log', async () => {
    expect(fromSnapshot.window).toEqual(fromLog.window);
    expect(fromSnapshot.trained).toEqual(fromLog.trained);
    expect(fromSnapshot.skipped).toEqual(fromLog.skipped);
    const a = await regLog.list();
    const b = await regSnap.list();
    expect(b.map((m) => m.name)).toEqual(a.map((m) => m.name));
    for (const m of a) {
      const [x, y] = [await regLog.get(m.id), await regSnap.get(m.id)];
      expect(y!.artefact, m.name).toEqual(x!.artefact);
      expect(y!.metrics, m.name).toEqual(x!.metrics);
      expect(y!.driftReference, m.name).toEqual(x!.driftReference);
    }
  });

  it('answers every question of a job as the log does, consent exclusions included', async () => {
    const store = new SnapshotStore(log, undefined);
    const { snapshot } = await store.refresh(features);
    const view = new LogWithout(log, excluded);
    const old = logSource(view, features);
    const snap = snapshotSource(snapshot!, excluded, view);
    const w = { from: bank.end - 150 * DAY, to: bank.end - 10 * DAY, observedUntil: bank.end - 10 * DAY };
    for (const def of [OFFER_ACCEPTANCE, CHURN, PREPAYMENT]) {
      const rows = await old.labelRows(def, w);
      expect(rows.length, def.name).toBeGreaterThan(0);
      expect(await snap.labelRows(def, w), def.name).toEqual(rows);
      expect(await snap.labelRows(def, { ...w, keepUnobserved: true }), def.name).toEqual(await old.labelRows(def, { ...w, keepUnobserved: true }));
    }
    const ids = await old.customersSeen(bank.end - 100 * DAY);
    expect(await snap.customersSeen(bank.end - 100 * DAY)).toEqual(ids);
    expect(ids).not.toContain('c0000003');
    expect(await new LogWithout(log, new Set()).count({ customerId: 'c0000003' })).toBeGreaterThan(0);
    // Pairs at event times exactly (an event at as-of counts), between them, for excluded and unknown customers and the market.
    const pairs = bank.events.filter((_, i) => i % 997 === 0).flatMap((e) => [{ customerId: e.customerId, asOf: Date.parse(e.occurredAt) }, { customerId: e.customerId, asOf: Date.parse(e.occurredAt) - 1 }]);
    pairs.push({ customerId: 'c0000003', asOf: bank.end }, { customerId: 'nobody', asOf: bank.end }, { customerId: '*', asOf: bank.end });
    expect(await snap.featureMatrix(pairs)).toEqual(await old.featureMatrix(pairs));
    expect(await snap.closures(bank.end)).toEqual(await old.closures(bank.end));
    expect(await snap.cardPayments(w.from, w.to)).toEqual(await old.cardPayments(w.from, w.to));
  });
});

describe('the snapshot is kept on disk, extended by appends and rebuilt when the log lost events', () => {
  let bank: Awaited<ReturnType<typeof twinEvents>>;
  beforeAll(async () => {
    bank = await twinEvents(60, 90, 9);
  }, 60_000);

  /** The snapshot's columns and dictionaries, for comparing two builds. */
  const contents = (s: { cols: object; meta: object }) => ({ cols: s.cols, meta: { ...s.meta } });

  it('appending events extends it to what a fresh build gives; a later process loads it from disk', async () => {
    const log = new MemoryEventLog();
    const half = bank.events.findIndex((e) => Date.parse(e.occurredAt) >= Date.parse(bank.events[0]!.occurredAt) + 45 * DAY);
    await appendAll(log, bank.events.slice(0, half));
    const dir = tempDir();
    const store = new SnapshotStore(log, dir);
    expect((await store.refresh(features)).refresh.action).toBe('built');
    await appendAll(log, bank.events.slice(half));
    const extended = await store.refresh(features);
    expect(extended.refresh).toMatchObject({ action: 'extended', appended: bank.events.length - half, rows: bank.events.length });
    const fresh = await new SnapshotStore(log, undefined).refresh(features);
    expect(contents(extended.snapshot!)).toEqual(contents(fresh.snapshot!));
    const reloaded = await new SnapshotStore(log, dir).refresh(features);
    expect(reloaded.refresh.action).toBe('loaded');
    expect(contents(reloaded.snapshot!)).toEqual(contents(fresh.snapshot!));
    // Other feature definitions: rebuilt, not read with the wrong inputs.
    const other = FeatureSet.compile(BANK_PACK);
    expect((await new SnapshotStore(log, dir).refresh(other)).refresh).toMatchObject({ action: 'built', reason: 'the feature definitions, labels or format changed' });
  });

  it('an event older than the snapshot\'s latest is not appended out of order: rebuilt', async () => {
    const log = new MemoryEventLog();
    const late = bank.events[100]!;
    await appendAll(log, bank.events.filter((e) => e !== late));
    const store = new SnapshotStore(log, undefined);
    await store.refresh(features);
    await appendAll(log, [late]);
    const r = await store.refresh(features);
    expect(r.refresh).toMatchObject({ action: 'built', reason: 'an appended event is older than the snapshot\'s latest' });
    expect(contents(r.snapshot!).cols).toEqual(contents((await new SnapshotStore(log, undefined).refresh(features)).snapshot!).cols);
  });

  it('erasure: forget deletes the files at once, and a log that lost events is never read from a stale snapshot', async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const dir = tempDir();
    const lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => bank.end, snapshotDir: dir });
    await lc.train({ models: ['clv'] });
    const victim = 'c0000007';
    const onDisk = () => readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(victim)));
    expect(onDisk()).toBe(true);
    await log.eraseCustomer(victim);
    lc.forgetSnapshot();
    expect(existsSync(dir)).toBe(false);
    const run = await lc.train({ models: ['clv'] });
    expect(run.data).toMatchObject({ source: 'snapshot', action: 'built', reason: 'no snapshot yet' });
    expect(onDisk()).toBe(false);
    // Without the hook (another instance erased): the counts no longer add up and it is rebuilt without them.
    const other = 'c0000011';
    const before = (await new SnapshotStore(log, dir).refresh(features)).snapshot!;
    expect(before.meta.customers).toContain(other);
    await log.eraseCustomer(other);
    const after = await new SnapshotStore(log, dir).refresh(features);
    expect(after.refresh.action).toBe('built');
    expect(after.refresh.reason).toMatch(/an erasure, a purge/);
    expect(after.snapshot!.meta.customers).not.toContain(other);
    expect(readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(other)))).toBe(false);
  });
});

describe('an erasure through the engine removes the customer from the training snapshot on disk', () => {
  it('the files that held their rows are deleted at once, and the next training rebuilds without them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nextbest-snapshot-engine-'));
    dirs.push(root);
    const bank = syntheticBank({ customers: 40, days: 120, seed: 2 });
    const engine = await createEngine({ dataDir: root, log: { level: 'silent' } });
    try {
      await appendAll(engine.stores.eventLog, bank.events);
      const dir = join(root, 'training-snapshot');
      const victim = bank.events[0]!.customerId;
      const holds = (id: string) => existsSync(dir) && readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(id)));
      const first = await engine.trainModels({ models: ['clv'] });
      expect(first.data).toMatchObject({ source: 'snapshot', action: 'built' });
      expect(holds(victim)).toBe(true);
      await engine.eraseCustomer(victim);
      expect(existsSync(dir)).toBe(false);
      const again = await engine.trainModels({ models: ['clv'] });
      expect(again.data).toMatchObject({ source: 'snapshot', action: 'built', rows: bank.events.filter((e) => e.customerId !== victim).length });
      expect(holds(victim)).toBe(false);
      expect(holds(bank.events.find((e) => e.customerId !== victim)!.customerId)).toBe(true);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
