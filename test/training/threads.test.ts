import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { mulberry32 } from '../../src/core/random.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { modelToJson, train, type TrainData } from '../../src/models/gbdt/index.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { BoostPool } from '../../src/training/boostPool.js';
import { CONTACT_FEATURES } from '../../src/training/definitions.js';
import { buildPiece, cutPieces, type MatrixPiece } from '../../src/training/matrix.js';
import { SnapshotStore, type TrainingSnapshot } from '../../src/training/snapshot.js';
import { ModelLifecycle, type TrainRun } from '../../src/training/index.js';
import { appendAll } from './synthetic.js';
import { twinEvents } from './twinEvents.js';

/** A seeded binary problem with missing values, a validation slice and per-round progress. */
function problem(seed: number, n: number, f = 8): TrainData {
  const rng = mulberry32(seed);
  const make = (rows: number) => {
    const values = new Float64Array(rows * f);
    const label = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let z = 0;
      for (let j = 0; j < f; j++) {
        const v = rng.next() < 0.1 ? Number.NaN : rng.next() * 10 - 5;
        values[i * f + j] = v;
        if (j < 3 && !Number.isNaN(v)) z += v * (j + 1);
      }
      label[i] = rng.next() < 1 / (1 + Math.exp(-z / 4)) ? 1 : 0;
    }
    return { features: { nRows: rows, nFeatures: f, values }, label };
  };
  const tr = make(n);
  return { ...tr, featureNames: Array.from({ length: f }, (_, j) => `x${j}`), validation: make(Math.floor(n / 3)) };
}
const PARAMS = { objective: 'binary:logistic', rounds: 60, learningRate: 0.1, maxDepth: 4, subsample: 0.8, colsampleBytree: 0.7, earlyStoppingRounds: 10 };
const json = (d: TrainData, params: Record<string, unknown>) => JSON.stringify(modelToJson(train(d, params).model));

describe('boosting on worker threads', () => {
  it('gives byte for byte the model this thread gives (seeded cases), with progress from the worker', async () => {
    const pool = new BoostPool({ workers: 1, warn: (m) => expect.fail(m) });
    try {
      const cases = [1, 2, 3, 4, 5].map((seed) => ({ data: problem(seed, 1500 + 300 * seed), params: { ...PARAMS, seed } }));
      const rounds: number[] = [];
      cases[0]!.data.onRound = (r) => rounds.push(r);
      // The worker loads its code first: else, on a loaded machine, this thread may claim every task before it can.
      await pool.ready();
      // Submitted all at once: the worker takes them in order, this thread steals from the tail while it waits.
      const tasks = cases.map((c) => pool.submit(c.data, c.params));
      for (const [k, t] of tasks.entries()) {
        const { onRound: _, ...plain } = cases[k]!.data;
        expect(JSON.stringify(modelToJson((await t.result()).model)), `case ${k}`).toBe(json(plain, cases[k]!.params));
      }
      expect(pool.boosted.onWorkers).toBeGreaterThan(0);
      expect(pool.boosted.onWorkers + pool.boosted.here).toBe(cases.length);
      expect(rounds.length).toBeGreaterThan(0);
      expect(rounds).toEqual(rounds.map((_, i) => i));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('a worker that cannot start, or dies with a task it claimed, leaves the tasks to this thread, with one warning', async () => {
    const script = (body: string) => new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => { ${body} });`)}`);
    const dying = script('process.exit(3);');
    // Claims the first task (as a worker does before it runs one), then dies: that task is done here.
    const claimsThenDies = script('if (m.claim) Atomics.store(m.claim, 0, 2); process.exit(3);');
    for (const worker of [() => new URL('file:///nonexistent/boostWorker.js'), () => dying, () => claimsThenDies]) {
      const warnings: string[] = [];
      const pool = new BoostPool({ workers: 1, warn: (m) => warnings.push(m), worker });
      try {
        const data = problem(9, 800);
        const tasks = [pool.submit(data, { ...PARAMS, seed: 1 }), pool.submit(data, { ...PARAMS, seed: 2 }), pool.submit(data, { ...PARAMS, seed: 3 })];
        // The worker's end is heard before the results are asked for (else this thread simply claims them all).
        for (const deadline = Date.now() + 20_000; warnings.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
        for (const [k, t] of tasks.entries()) expect(JSON.stringify(modelToJson((await t.result()).model))).toBe(json(data, { ...PARAMS, seed: k + 1 }));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/training worker (could not start|stopped).*main thread/);
        expect(pool.boosted).toEqual({ onWorkers: 0, here: 3 });
      } finally {
        await pool.close();
      }
    }
  }, 60_000);

  it('an error in the worker is the error this thread throws (a ValidationError naming the field)', async () => {
    const pool = new BoostPool({ workers: 1, warn: (m) => expect.fail(m) });
    try {
      const t = pool.submit(problem(4, 300), { ...PARAMS, rounds: -1 });
      await expect(t.result()).rejects.toBeInstanceOf(ValidationError);
      await expect(t.result()).rejects.toThrow(/rounds/);
    } finally {
      await pool.close();
    }
  }, 30_000);
});

describe('a training run on two or three threads registers what one thread registers', () => {
  const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
  /** The registry, remembering the order models were registered in (its listing sorts by name). */
  class OrderedRegistry extends MemoryModelRegistry {
    readonly order: string[] = [];
    override async register(m: Parameters<MemoryModelRegistry['register']>[0]) {
      this.order.push(m.name);
      return super.register(m);
    }
  }
  const runs: { threads: number; run: TrainRun; registry: OrderedRegistry }[] = [];
  const warnings: string[] = [];
  let log: MemoryEventLog;
  let end: number;

  beforeAll(async () => {
    const bank = await twinEvents(160, 200, 11);
    log = new MemoryEventLog();
    end = bank.end;
    await appendAll(log, bank.events);
    for (const threads of [1, 2, 3]) {
      const registry = new OrderedRegistry();
      const lc = new ModelLifecycle(registry, { log, features: () => features, now: () => bank.end, threads, warn: (m) => warnings.push(m) });
      runs.push({ threads, run: await lc.train({ seed: 5, gbdt: { rounds: 40 } }), registry });
    }
  }, 240_000);

  it('trains several GBDTs (churn, prepayment, propensities) besides the other families, its workers started and used', () => {
    expect(warnings).toEqual([]);
    expect(runs[0]!.run.work).toBeUndefined();
    for (const r of runs.slice(1)) {
      // Matrix pieces and boostings went to the workers (which ones depends on timing: this thread claims open ones while it waits).
      const w = r.run.work!;
      expect(w.built.onWorkers + w.boosted.onWorkers, `${r.threads} threads`).toBeGreaterThan(0);
    }
    const names = runs[0]!.run.trained.map((t) => t.name);
    for (const n of ['segments', 'churn_90d', 'churn_cox', 'prepayment_90d', 'clv', 'activity_chain']) expect(names).toContain(n);
    expect(names.filter((n) => n.startsWith('propensity_')).length).toBeGreaterThanOrEqual(2);
  });

  it('the same models, in the same order, with byte-identical artefacts, metrics, cards and drift references', async () => {
    const [one, ...more] = runs;
    for (const r of more) expect(r.registry.order, `${r.threads} threads`).toEqual(one!.registry.order);
    const stored = async (r: MemoryModelRegistry) => Promise.all((await r.list()).map(async (m) => JSON.stringify(await r.get(m.id))));
    const want = await stored(one!.registry);
    for (const r of more) {
      // All but the seconds the snapshot's build took.
      const { work: _, ...run } = r.run;
      expect({ ...run, data: { ...run.data, seconds: 0 } }, `${r.threads} threads`).toEqual({ ...one!.run, data: { ...one!.run.data, seconds: 0 } });
      const got = await stored(r.registry);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(g, `${r.threads} threads, model ${i}`).toBe(want[i]));
    }
  });

  it('a job that fails stops the run as on one thread: no later job registers anything', async () => {
    class FailingRegistry extends OrderedRegistry {
      override async register(m: Parameters<MemoryModelRegistry['register']>[0]) {
        if (m.name === 'churn_90d') throw new Error('disk full');
        return super.register(m);
      }
    }
    for (const threads of [1, 2]) {
      const registry = new FailingRegistry();
      const lc = new ModelLifecycle(registry, { log, features: () => features, now: () => end, threads });
      await expect(lc.train({ seed: 5, gbdt: { rounds: 10 } }), `${threads} threads`).rejects.toThrow('disk full');
      expect(registry.order, `${threads} threads`).toEqual(['segments']);
    }
  }, 120_000);

  it('threads must be a whole number, at least 1', async () => {
    const lc = new ModelLifecycle(new MemoryModelRegistry(), { log: new MemoryEventLog(), features: () => features, now: () => 0 });
    await expect(lc.train({ threads: 0 })).rejects.toThrow(/threads/);
  });
});

describe('feature matrices built in pieces of whole customers, here or on a worker', () => {
  const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
  let snapshot: TrainingSnapshot;
  let custOf: Int32Array;
  let asOf: Float64Array;
  /** The bytes of a matrix (NaN for "no value" compares as itself). */
  const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  /** The matrix in pair order from pieces built by `build`. */
  const assemble = async (order: Uint32Array, pieces: MatrixPiece[], build: (p: MatrixPiece) => Promise<Float64Array> | Float64Array) => {
    const F = features.size;
    const out = new Float64Array(custOf.length * F);
    let k = 0;
    for (const p of pieces) {
      const rows = await build(p);
      for (let q = 0; q < p.cust.length; q++, k++) out.set(rows.subarray(q * F, (q + 1) * F), order[k]! * F);
    }
    return out;
  };

  beforeAll(async () => {
    const bank = await twinEvents(40, 150, 3);
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    snapshot = (await new SnapshotStore(log, undefined).refresh(features)).snapshot!;
    // Every customer at as-of times from before its first event to after the last (several on one day), and one with no rows.
    const ids = [...snapshot.customerIndex.keys()].filter((id) => id !== '*');
    const start = snapshot.cols.t[0]!;
    const pairs: { cust: number; asOf: number }[] = [];
    ids.forEach((id, i) => {
      for (let d = -3; d < 160; d += 9 + (i % 5)) pairs.push({ cust: snapshot.customerIndex.get(id)!, asOf: start + d * 86_400_000 + (i % 3) * 3_600_000 });
    });
    for (let d = 0; d < 150; d += 30) pairs.push({ cust: -1, asOf: start + d * 86_400_000 });
    // Shuffled: the pieces bring them into (customer, as-of) order and the matrix back into pair order.
    const rng = mulberry32(7);
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    custOf = Int32Array.from(pairs, (p) => p.cust);
    asOf = Float64Array.from(pairs, (p) => p.asOf);
  }, 120_000);

  it('any cut gives the matrix of one piece, number for number, and never splits a customer', async () => {
    const c = snapshot.matrixColumns();
    const one = cutPieces(c, custOf, asOf, 1);
    expect(one.pieces).toHaveLength(1);
    const want = await assemble(one.order, one.pieces, (p) => buildPiece(c, features, p));
    // Features with values, market ones included: a matrix of NaN would pass trivially.
    const F = features.size;
    const market = features.names.indexOf('base_rate_change_120d');
    expect(want.filter((v) => !Number.isNaN(v)).length).toBeGreaterThan(want.length / 4);
    expect(Array.from({ length: custOf.length }, (_, r) => want[r * F + market]).filter((v) => v !== undefined && v < 0).length).toBeGreaterThan(0);
    for (const n of [2, 3, 7, 50, 1000]) {
      const cut = cutPieces(c, custOf, asOf, n);
      expect(cut.pieces.length, `${n} pieces`).toBeGreaterThan(1);
      const firsts = cut.pieces.map((p) => p.cust[0]);
      const lasts = cut.pieces.map((p) => p.cust[p.cust.length - 1]);
      for (let k = 1; k < cut.pieces.length; k++) expect(firsts[k], `${n} pieces: piece ${k} starts with the customer the one before ends with`).not.toBe(lasts[k - 1]);
      expect(bytes(await assemble(cut.order, cut.pieces, (p) => buildPiece(c, features, p))), `${n} pieces`).toBe(bytes(want));
    }
  });

  it('a worker builds the pieces this thread builds, from the shared columns and definitions it compiles itself', async () => {
    const pool = new BoostPool({ workers: 1, warn: (m) => expect.fail(m) });
    try {
      const c = snapshot.matrixColumns();
      const source = { columns: c, definitions: features.info.map((f) => f.definition), version: features.version };
      const cut = cutPieces(c, custOf, asOf, 8);
      const tasks = cut.pieces.map((p) => pool.matrix(source, features, p));
      // Left to the worker (it claims them without this thread's help); asked for, they would be claimed here from the tail.
      for (const deadline = Date.now() + 30_000; pool.built.onWorkers < cut.pieces.length && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      let k = 0;
      const got = await assemble(cut.order, cut.pieces, () => tasks[k++]!.result());
      expect(bytes(got)).toBe(bytes(await assemble(cut.order, cut.pieces, (p) => buildPiece(c, features, p))));
      expect(pool.built).toEqual({ onWorkers: cut.pieces.length, here: 0 });
      expect(c.t.buffer).toBeInstanceOf(SharedArrayBuffer);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('a worker whose definitions compile to another version builds nothing: the pieces are built here, with one warning', async () => {
    const warnings: string[] = [];
    const pool = new BoostPool({ workers: 1, warn: (m) => warnings.push(m) });
    try {
      const c = snapshot.matrixColumns();
      // The snapshot says it was encoded with other definitions than these.
      const source = { columns: c, definitions: features.info.map((f) => f.definition), version: '0123456789abcdef' };
      const cut = cutPieces(c, custOf, asOf, 4);
      const tasks = cut.pieces.map((p) => pool.matrix(source, features, p));
      // The refusal is heard before the results are asked for: the worker claims pieces and gives them back.
      for (const deadline = Date.now() + 30_000; warnings.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      let k = 0;
      const got = await assemble(cut.order, cut.pieces, () => tasks[k++]!.result());
      expect(bytes(got)).toBe(bytes(await assemble(cut.order, cut.pieces, (p) => buildPiece(c, features, p))));
      expect(pool.built).toEqual({ onWorkers: 0, here: cut.pieces.length });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/cannot build feature matrices \(its feature definitions compile to version \w+, not 0123456789abcdef\); building them on the main thread/);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
