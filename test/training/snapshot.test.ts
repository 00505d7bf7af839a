import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { CHURN, CONTACT_FEATURES, OFFER_ACCEPTANCE, PREPAYMENT } from '../../src/training/definitions.js';
import { ModelLifecycle, type TrainRun } from '../../src/training/index.js';
import { SnapshotStore } from '../../src/training/snapshot.js';
import { logSource, snapshotSource } from '../../src/training/source.js';
import { LogWithout } from '../../src/training/consent.js';
import { createEngine } from '../../src/engine.js';
import { appendAll, syntheticBank } from './synthetic.js';
import { twinEvents } from './twinEvents.js';

const DAY = 86_400_000;

const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nextbest-snapshot-'));
  dirs.push(d);
  return join(d, 'training-snapshot');
};
/** Whether any file of the snapshot holds the id's bytes. */
const holds = (dir: string, id: string) => existsSync(dir) && readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(id)));
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

describe('the snapshot is kept on disk, followed as the log grows, and loses rows as the log does', () => {
  let bank: Awaited<ReturnType<typeof twinEvents>>;
  beforeAll(async () => {
    bank = await twinEvents(60, 90, 9);
  }, 60_000);

  /** The snapshot's columns and dictionaries, for comparing two builds. */
  const contents = (s: { cols: object; meta: object }) => ({ cols: s.cols, meta: { ...s.meta } });
  /** A fresh build from the log (in memory), to compare with. */
  const fresh = async (log: MemoryEventLog) => (await new SnapshotStore(log, undefined).refresh(features)).snapshot!;

  /** What training reads of two snapshots is the same (their dictionaries may number values differently). */
  const sameAnswers = async (a: Awaited<ReturnType<typeof fresh>>, b: Awaited<ReturnType<typeof fresh>>, log: MemoryEventLog) => {
    for (const k of ['t', 'seq', 'type', 'flags', 'mask'] as const) expect(a.cols[k], k).toEqual(b.cols[k]);
    expect(Array.from(a.cols.cust, (c) => a.meta.customers[c])).toEqual(Array.from(b.cols.cust, (c) => b.meta.customers[c]));
    const [x, y] = [snapshotSource(a, new Set(), log), snapshotSource(b, new Set(), log)];
    const w = { from: bank.end - 60 * DAY, to: bank.end - 5 * DAY, observedUntil: bank.end - 5 * DAY };
    for (const def of [OFFER_ACCEPTANCE, CHURN, PREPAYMENT]) expect(await x.labelRows(def, w), def.name).toEqual(await y.labelRows(def, w));
    const pairs = bank.events.filter((_, i) => i % 101 === 0).map((e) => ({ customerId: e.customerId, asOf: Date.parse(e.occurredAt) }));
    expect(await x.featureMatrix(pairs)).toEqual(await y.featureMatrix(pairs));
    expect(await x.customersSeen(bank.end)).toEqual(await y.customersSeen(bank.end));
    expect(await x.cardPayments(w.from, w.to)).toEqual(await y.cardPayments(w.from, w.to));
  };

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
    expect(contents(extended.snapshot!)).toEqual(contents(await fresh(log)));
    const reloaded = await new SnapshotStore(log, dir).refresh(features);
    expect(reloaded.refresh).toMatchObject({ action: 'loaded', appended: 0 });
    expect(contents(reloaded.snapshot!)).toEqual(contents(await fresh(log)));
    // Other feature definitions: rebuilt, not read with the wrong inputs.
    const other = FeatureSet.compile(BANK_PACK);
    expect((await new SnapshotStore(log, dir).refresh(other)).refresh).toMatchObject({ action: 'built', reason: 'the feature definitions, labels or format changed, or a file was torn' });
  });

  it('an event older than the snapshot\'s latest is appended and sorted into place in memory, not rebuilt', async () => {
    const log = new MemoryEventLog();
    const late = bank.events[100]!;
    await appendAll(log, bank.events.filter((e) => e !== late));
    const dir = tempDir();
    await new SnapshotStore(log, dir).refresh(features);
    await appendAll(log, [late]);
    const r = await new SnapshotStore(log, dir).refresh(features);
    expect(r.refresh).toMatchObject({ action: 'extended', appended: 1 });
    const want = await fresh(log);
    expect(r.snapshot!.cols).toEqual(want.cols);
    expect(r.snapshot!.cols.t[100]).toBe(Date.parse(late.occurredAt));
    // And from disk, where the rows are in log-position order.
    expect((await new SnapshotStore(log, dir).refresh(features)).snapshot!.cols).toEqual(want.cols);
  });

  it('events appended far out of time order are sorted in memory: every answer is the log scan\'s', async () => {
    const log = new MemoryEventLog();
    // Days appended in a shuffled order (a backfill in pieces): most rows are late.
    const byDay = new Map<number, BankEvent[]>();
    for (const e of bank.events) {
      const d = Math.floor(Date.parse(e.occurredAt) / DAY);
      byDay.set(d, [...(byDay.get(d) ?? []), e]);
    }
    const days = [...byDay.keys()];
    for (let i = days.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [days[i], days[j]] = [days[j]!, days[i]!];
    }
    for (const d of days) await appendAll(log, byDay.get(d)!);
    const dir = tempDir();
    const snap = (await new SnapshotStore(log, dir).refresh(features)).snapshot!;
    const t = snap.cols.t;
    for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) throw new Error(`row ${i} out of time order`);
    const old = logSource(log, features);
    const x = snapshotSource(snap, new Set(), log);
    const w = { from: bank.end - 60 * DAY, to: bank.end - 5 * DAY, observedUntil: bank.end - 5 * DAY };
    for (const def of [OFFER_ACCEPTANCE, CHURN, PREPAYMENT]) expect(await x.labelRows(def, w), def.name).toEqual(await old.labelRows(def, w));
    const pairs = bank.events.filter((_, i) => i % 53 === 0).map((e) => ({ customerId: e.customerId, asOf: Date.parse(e.occurredAt) }));
    expect(await x.featureMatrix(pairs)).toEqual(await old.featureMatrix(pairs));
    expect(await x.customersSeen(bank.end - 30 * DAY)).toEqual(await old.customersSeen(bank.end - 30 * DAY));
    expect(await x.closures(bank.end)).toEqual(await old.closures(bank.end));
    expect(await x.cardPayments(w.from, w.to)).toEqual(await old.cardPayments(w.from, w.to));
    // Kept on disk in log-position order, sorted again on load.
    expect((await new SnapshotStore(log, dir).refresh(features)).snapshot!.cols).toEqual(snap.cols);
  });

  it('a torn file is detected and the snapshot rebuilt; bytes past what meta.json committed are cut off', async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const dir = tempDir();
    const want = await fresh(log);
    await new SnapshotStore(log, dir).refresh(features);
    // A crash after an append, before its meta.json: the extra bytes are not rows.
    appendFileSync(join(dir, 'inputs.bin'), Buffer.alloc(24, 7));
    appendFileSync(join(dir, 'customers.jsonl'), '"c9999999"\n');
    const cut = await new SnapshotStore(log, dir).refresh(features);
    expect(cut.refresh.action).toBe('loaded');
    expect(cut.snapshot!.cols).toEqual(want.cols);
    expect(statSync(join(dir, 'inputs.bin')).size).toBe(want.cols.inputs.byteLength);
    // A column shorter than meta.json says: torn, rebuilt.
    truncateSync(join(dir, 'mask.bin'), 10);
    const torn = await new SnapshotStore(log, dir).refresh(features);
    expect(torn.refresh).toMatchObject({ action: 'built', reason: 'the feature definitions, labels or format changed, or a file was torn' });
    expect(torn.snapshot!.cols).toEqual(want.cols);
    // A torn meta.json: rebuilt.
    writeFileSync(join(dir, 'meta.json'), '{"format":2,"key"');
    expect((await new SnapshotStore(log, dir).refresh(features)).refresh.action).toBe('built');
    expect((await new SnapshotStore(log, dir).refresh(features)).refresh.action).toBe('loaded');
  });

  it('erasure removes the customer\'s rows at once: the next run loads the rest, as a build without them gives', async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const dir = tempDir();
    const lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => bank.end, snapshotDir: dir });
    await lc.train({ models: ['clv'] });
    const victim = 'c0000007';
    expect(holds(dir, victim)).toBe(true);
    await log.eraseCustomer(victim);
    lc.eraseFromSnapshot(victim);
    expect(holds(dir, victim)).toBe(false);
    const run = await lc.train({ models: ['clv'] });
    expect(run.data).toMatchObject({ source: 'snapshot', action: 'loaded', rows: await log.count() });
    const after = (await new SnapshotStore(log, dir).refresh(features)).snapshot!;
    const want = await fresh(log);
    await sameAnswers(after, want, log);
    expect(after.meta.customers.filter((id) => id !== '')).toEqual(want.meta.customers);
    expect(after.customerIndex.has(victim)).toBe(false);
    // Erasing again, or someone it never held: nothing changes.
    lc.eraseFromSnapshot(victim);
    lc.eraseFromSnapshot('nobody');
    expect((await new SnapshotStore(log, dir).refresh(features)).snapshot!.cols).toEqual(after.cols);
    // Without the hook (another process erased): the counts no longer add up and it is rebuilt without them.
    const other = 'c0000011';
    expect(after.meta.customers).toContain(other);
    await log.eraseCustomer(other);
    const rebuilt = await new SnapshotStore(log, dir).refresh(features);
    expect(rebuilt.refresh.action).toBe('built');
    expect(rebuilt.refresh.reason).toMatch(/an erasure, a purge/);
    expect(rebuilt.snapshot!.meta.customers).not.toContain(other);
    expect(holds(dir, other)).toBe(false);
    // forget drops it all.
    lc.forgetSnapshot();
    expect(existsSync(dir)).toBe(false);
  });

  it('a retention purge removes the rows the log purged, no rebuild', async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const dir = tempDir();
    const lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => bank.end, snapshotDir: dir });
    await lc.train({ models: ['clv'] });
    const before = bank.end - 40 * DAY;
    const purged = await log.purgeType('card_payment', before);
    expect(purged).toBeGreaterThan(0);
    lc.purgeSnapshot([{ type: 'card_payment', before: new Date(before).toISOString(), purged }, { type: 'login', before: bank.end, purged: 0 }]);
    const run = await lc.train({ models: ['clv'] });
    expect(run.data).toMatchObject({ action: 'loaded', rows: await log.count() });
    await sameAnswers((await new SnapshotStore(log, dir).refresh(features)).snapshot!, await fresh(log), log);
  });

  it('the follower appends what the log consumer applies: a run reads only what came after it, and a restart resumes', async () => {
    const log = new MemoryEventLog();
    const dir = tempDir();
    const store = new SnapshotStore(log, dir);
    const follower = store.follower(() => features);
    // An empty log: it starts a snapshot and follows from the start.
    expect(await follower.open()).toBe(0);
    const third = Math.floor(bank.events.length / 3);
    await appendAll(log, bank.events.slice(0, 2 * third));
    const applied = await log.readAfter(0, 1e9);
    for (let k = 0; k < applied.length; k += 700) await follower.apply(applied.slice(k, k + 700));
    // Applied again after a crash (the runner's checkpoint lags): skipped.
    await follower.apply(applied.slice(0, 1000));
    follower.flush();
    // The rest was never applied (the process stopped): a run reads only that.
    await appendAll(log, bank.events.slice(2 * third));
    const restarted = new SnapshotStore(log, dir);
    const f2 = restarted.follower(() => features);
    expect(await f2.open()).toBe(applied.at(-1)!.seq);
    const run = await restarted.refresh(features);
    expect(run.refresh).toMatchObject({ action: 'extended', appended: bank.events.length - 2 * third, rows: bank.events.length });
    expect(contents(run.snapshot!)).toEqual(contents(await fresh(log)));
    // The runner hands the follower events the run already appended: skipped, nothing doubled.
    await f2.apply(await log.readAfter(applied.at(-1)!.seq, 1e9));
    f2.flush();
    expect((await new SnapshotStore(log, dir).refresh(features)).refresh).toMatchObject({ action: 'loaded', rows: bank.events.length });
  });

  it('a follower with no snapshot of a non-empty log keeps its place and leaves the build to a training run', async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events.slice(0, 5000));
    const dir = tempDir();
    const store = new SnapshotStore(log, dir);
    const follower = store.follower(() => features);
    const head = await log.head();
    expect(await follower.open()).toBe(head);
    await appendAll(log, bank.events.slice(5000, 6000));
    await follower.apply(await log.readAfter(head, 1e9));
    follower.flush();
    expect(existsSync(dir)).toBe(false);
    expect((await store.refresh(features)).refresh).toMatchObject({ action: 'built', rows: 6000 });
    // Built past where the follower was: it appends from the snapshot's head on.
    await appendAll(log, bank.events.slice(6000, 7000));
    // Bytes an append that failed before its meta.json left behind: the next append writes over them.
    appendFileSync(join(dir, 't.bin'), Buffer.alloc(40, 1));
    appendFileSync(join(dir, 'customers.jsonl'), '"c99');
    await follower.apply(await log.readAfter(await log.head() - 1000, 1e9));
    follower.flush();
    const loaded = await new SnapshotStore(log, dir).refresh(features);
    expect(loaded.refresh).toMatchObject({ action: 'loaded', rows: 7000 });
    expect(contents(loaded.snapshot!)).toEqual(contents(await fresh(log)));
  });
});

describe('an erasure through the engine removes the customer from the training snapshot on disk', () => {
  it('the engine\'s consumer keeps the snapshot; an erasure removes their rows at once; no run rebuilds it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nextbest-snapshot-engine-'));
    dirs.push(root);
    const bank = syntheticBank({ customers: 40, days: 120, seed: 2 });
    const engine = await createEngine({ dataDir: root, log: { level: 'silent' } });
    try {
      await appendAll(engine.stores.eventLog, bank.events);
      const dir = join(root, 'training-snapshot');
      const victim = bank.events[0]!.customerId;
      const first = await engine.trainModels({ models: ['clv'] });
      // Started with the empty log, so followed from its start: never built.
      expect(first.data).toMatchObject({ source: 'snapshot', rows: bank.events.length });
      expect(['loaded', 'extended']).toContain(first.data.source === 'snapshot' ? first.data.action : '');
      expect(holds(dir, victim)).toBe(true);
      await engine.eraseCustomer(victim);
      expect(holds(dir, victim)).toBe(false);
      const again = await engine.trainModels({ models: ['clv'] });
      expect(again.data).toMatchObject({ source: 'snapshot', action: 'loaded', rows: bank.events.filter((e) => e.customerId !== victim).length });
      expect(holds(dir, victim)).toBe(false);
      expect(holds(dir, bank.events.find((e) => e.customerId !== victim)!.customerId)).toBe(true);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
