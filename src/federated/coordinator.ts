/**
 * The coordinator: grows one GBDT across participants that keep their rows. It agrees bin
 * cuts (merged quantile summaries, or cuts it is given), the base margin (the sum of the
 * participants' label statistics), then per boosting round asks for masked node
 * histograms, sums them (the masks cancel), and grows the tree from the sums with the
 * same learner central training uses. It sees only sums.
 *
 * A participant that fails mid-round (unreachable, timed out, refused) is dropped and the
 * round is retried from fresh keys without it: a sum with one participant missing would
 * not unmask, and the coordinator never decodes an incomplete sum. Fewer participants
 * than `minParticipants` left and the run fails (FEDERATION_FAILED), registering nothing.
 */
import { randomBytes } from 'node:crypto';
import { NextbestError, ValidationError } from '../core/errors.js';
import {
  binLayout,
  cutsFromSummaries,
  growTreeFromHistograms,
  modelToJson,
  monotoneVector,
  resolveParams,
  treeParams,
  type GbdtModel,
  type GbdtParams,
  type NodeHistogram,
  type Tree,
} from '../models/gbdt/index.js';
import { addInto, decode, WORDS } from './fixedPoint.js';
import { calibrateNoise, epsilonOf, plannedReleases, stepSensitivity, type PrivacyReport } from './privacy.js';
import { PROTOCOL_VERSION, type ReplyOf, type RequestOf, type Route } from './protocol.js';

/** How the coordinator reaches one participant (HTTP in production; see transport.ts). */
export interface ParticipantLink {
  readonly name: string;
  call<R extends Route>(route: R, body: RequestOf<R>): Promise<ReplyOf<R>>;
  /** Bytes sent and received so far (bodies). */
  readonly bytes: { sent: number; received: number };
}

/** What a federated run takes besides its participants. */
export interface FederatedOptions {
  /** GBDT parameters (our names or XGBoost's); rows never leave, so row subsampling, early stopping and class weights are not offered. */
  params?: Record<string, unknown>;
  /** `sketch`: merge the participants' quantile summaries; or the cuts per feature. */
  cuts?: 'sketch' | Float64Array[];
  /** Differential privacy: the (ε, δ) the whole run may spend; omitted = off. */
  privacy?: { epsilon: number; delta: number } | null;
  /** The fewest participants a sum may have (at least 2: a sum of one hides nothing). */
  minParticipants?: number;
  /** A session id (random by default). */
  session?: string;
  /** Progress after each round. */
  onRound?: (round: number, active: readonly string[]) => void;
  /** The card's fields a registry needs (title, intended use …), merged into the card sent with the model. */
  card?: Record<string, unknown>;
}

/** Who took part and how it went. */
export interface ParticipantReport {
  name: string;
  rows: number;
  /** Rounds whose tree this participant's histograms went into. */
  rounds: number;
  dropped: { round: number; reason: string } | null;
  testRows: number | null;
  testAuc: number | null;
  registered: string | null;
}

/** The outcome of a run. */
export interface FederatedResult {
  model: GbdtModel;
  participants: ParticipantReport[];
  rounds: number;
  /** Round attempts retried after a participant dropped out. */
  retries: number;
  privacy: PrivacyReport;
  /** Mean request + reply bytes per boosting round, over all links. */
  bytesPerRound: number;
  wallSeconds: number;
  cuts: Float64Array[];
  /** The federation section of the model card. */
  federation: Record<string, unknown>;
}

class Dropout extends Error {
  constructor(readonly failed: Map<string, string>) {
    super(`participants failed: ${[...failed.keys()].join(', ')}`);
  }
}

const federationFailed = (message: string, details: Record<string, unknown>) => new NextbestError('FEDERATION_FAILED', message, details);

/** Parameters a federation can honour; the rest are refused by name. */
export function federatedParams(input: Record<string, unknown> = {}): GbdtParams {
  const p = resolveParams(input);
  const issues = [];
  if (p.objective !== 'binary:logistic') issues.push({ field: 'params.objective', rule: 'federated', message: 'federated training supports binary:logistic' });
  if (p.subsample < 1) issues.push({ field: 'params.subsample', rule: 'federated', message: 'row subsampling is not offered: each bank would draw its own rows' });
  if (p.colsampleBytree < 1) issues.push({ field: 'params.colsampleBytree', rule: 'federated', message: 'column subsampling is not offered yet' });
  if (p.earlyStoppingRounds > 0) issues.push({ field: 'params.earlyStoppingRounds', rule: 'federated', message: 'early stopping needs a pooled validation loss; set rounds instead' });
  if (p.classWeights) issues.push({ field: 'params.classWeights', rule: 'federated', message: 'class weights are not offered' });
  if (issues.length > 0) throw new ValidationError(issues);
  return p;
}

/** Trains one model across the participants behind `links`. */
export async function trainFederated(links: readonly ParticipantLink[], o: FederatedOptions = {}): Promise<FederatedResult> {
  const started = performance.now();
  const p = federatedParams(o.params);
  const minParticipants = o.minParticipants ?? 2;
  if (!Number.isInteger(minParticipants) || minParticipants < 2) throw new ValidationError([{ field: 'minParticipants', rule: 'min', message: 'must be an integer >= 2: a sum of one participant hides nothing' }]);
  if (links.length < minParticipants) throw new ValidationError([{ field: 'participants', rule: 'min_participants', message: `${links.length} participants, fewer than minParticipants (${minParticipants})` }]);
  const names = links.map((l) => l.name);
  if (new Set(names).size !== names.length) throw new ValidationError([{ field: 'participants', rule: 'unique', message: 'participant names must be unique' }]);
  const session = o.session ?? randomBytes(12).toString('base64url');
  const report = new Map<string, ParticipantReport>(names.map((n) => [n, { name: n, rows: 0, rounds: 0, dropped: null, testRows: null, testAuc: null, registered: null }]));
  let active = [...links];
  const drop = (failed: Map<string, string>, round: number) => {
    for (const [n, reason] of failed) report.get(n)!.dropped = { round, reason };
    active = active.filter((l) => !failed.has(l.name));
    if (active.length < minParticipants) {
      throw federationFailed(`${active.length} participant(s) left, fewer than the ${minParticipants} a sum needs; nothing was registered`, { dropped: Object.fromEntries(failed), active: active.map((l) => l.name) });
    }
  };
  const all = async <R extends Route>(route: R, body: (l: ParticipantLink) => RequestOf<R>): Promise<Map<string, ReplyOf<R>>> => {
    const settled = await Promise.allSettled(active.map((l) => l.call(route, body(l))));
    const failed = new Map<string, string>();
    const out = new Map<string, ReplyOf<R>>();
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') out.set(active[i]!.name, s.value);
      else failed.set(active[i]!.name, (s.reason as Error).message ?? String(s.reason));
    });
    if (failed.size > 0) throw new Dropout(failed);
    return out;
  };
  const tolerant = async <R extends Route>(route: R, body: (l: ParticipantLink) => RequestOf<R>, round: number): Promise<Map<string, ReplyOf<R>>> => {
    for (;;) {
      try {
        return await all(route, body);
      } catch (e) {
        if (!(e instanceof Dropout)) throw e;
        drop(e.failed, round);
      }
    }
  };

  try {
    // Who is there, and do they describe the same data?
    const hellos = await tolerant('hello', () => ({ session, protocol: PROTOCOL_VERSION }), -1);
    const first = [...hellos.values()][0]!;
    for (const [n, h] of hellos) {
      report.get(n)!.rows = h.rows;
      if (h.features.join('\u0000') !== first.features.join('\u0000')) throw new ValidationError([{ field: `participants.${n}.features`, rule: 'same_features', message: `${n} has features ${h.features.join(', ')}; ${first.participant} has ${first.features.join(', ')}` }]);
      if (h.label !== first.label) throw new ValidationError([{ field: `participants.${n}.label`, rule: 'same_label', message: `${n} labels "${h.label}", ${first.participant} labels "${first.label}"` }]);
    }
    const featureNames = first.features;
    const F = featureNames.length;

    // Bin cuts: given, or merged from every participant's quantile summaries.
    let cuts: Float64Array[];
    if (o.cuts === undefined || o.cuts === 'sketch') {
      const sketches = await tolerant('sketch', () => ({ session, maxBin: p.maxBin }), -1);
      cuts = Array.from({ length: F }, (_, f) => cutsFromSummaries([...sketches.values()].map((s) => s.summaries[f]!), p.maxBin));
    } else {
      if (o.cuts.length !== F) throw new ValidationError([{ field: 'cuts', rule: 'length', message: `${o.cuts.length} cut arrays for ${F} features` }]);
      cuts = o.cuts;
    }
    const layout = binLayout(cuts);
    const T = layout.totalBins;

    // Privacy: the noise multiplier that keeps the planned releases within (ε, δ).
    const dp = o.privacy ?? null;
    // A row is in one released node per level: a tree releases at most (depth + 1) histograms a row is in.
    const levels = Math.min(p.maxDepth > 0 ? p.maxDepth : Infinity, p.maxLeaves > 0 ? p.maxLeaves - 1 : Infinity);
    if (dp && !Number.isFinite(levels)) throw new ValidationError([{ field: 'params.maxDepth', rule: 'dp_bound', message: 'differential privacy needs maxDepth or maxLeaves to bound the releases per tree' }]);
    const planned = plannedReleases(p.rounds, Number.isFinite(levels) ? levels : 0);
    const z = dp ? calibrateNoise(dp.epsilon, dp.delta, planned) : 0;
    const sigma = z * stepSensitivity(F);
    const share = () => (sigma > 0 ? sigma / Math.sqrt(active.length) : 0);
    let releases = 0;

    await tolerant('setup', () => ({ session, settings: { objective: 'binary:logistic', maxBin: p.maxBin }, cuts: cuts.map((c) => Array.from(c)), noiseShare: 0, minParticipants }), -1);

    // One masked aggregation over the active participants, retried from fresh keys when one drops.
    let retries = 0;
    const attempts = new Map<number, number>();
    const aggregateRound = async <T>(round: number, body: (sum: (kind: 'stats' | 'histograms', splits: RequestOf<'aggregate'>['splits'], nodes: number[], words: number, noise: number) => Promise<Float64Array>) => Promise<T>): Promise<T> => {
      for (;;) {
        const attempt = attempts.get(round) ?? 0;
        attempts.set(round, attempt + 1);
        if (attempt > 0) retries++;
        try {
          const keys = await all('keys', () => ({ session, round, attempt }));
          const peers = Object.fromEntries([...keys].map(([n, k]) => [n, k.publicKey]));
          const signatures = Object.fromEntries([...keys].flatMap(([n, k]) => (k.signature ? [[n, k.signature]] : [])));
          let step = 0;
          return await body(async (kind, splits, nodes, words, noise) => {
            const s = step++;
            releases++;
            const replies = await all('aggregate', () => ({ session, round, attempt, step: s, peers, signatures, kind, splits, nodes, noiseShare: noise }));
            const total = new Uint32Array(words * WORDS);
            for (const [n, r] of replies) {
              const buf = Buffer.from(r.masked, 'base64');
              if (r.words !== words * WORDS || buf.length !== words * WORDS * 4) throw new Dropout(new Map([[n, `sent ${buf.length} bytes, expected ${words * WORDS * 4}`]]));
              addInto(total, new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)));
            }
            return decode(total);
          });
        } catch (e) {
          if (!(e instanceof Dropout)) throw e;
          drop(e.failed, round);
        }
      }
    };

    // The base margin from the pooled label mean.
    const stats = await aggregateRound(-1, (sum) => sum('stats', [], [], 2, z > 0 ? (z * Math.SQRT2) / Math.sqrt(active.length) : 0));
    const mean = Math.min(Math.max(stats[0]! / stats[1]!, 1e-6), 1 - 1e-6);
    const baseMargin = p.baseScore === 'mean' ? Math.log(mean / (1 - mean)) : Math.log(p.baseScore / (1 - p.baseScore));
    const positives = Math.round(stats[0]!);
    await tolerant('begin', () => ({ session, baseMargin }), -1);

    const tp = treeParams(p);
    const monotone = monotoneVector(p, featureNames);
    const features = Int32Array.from({ length: F }, (_, i) => i);
    const trees: Tree[] = [];
    const bytesBefore = totalBytes(links);
    for (let round = 0; round < p.rounds; round++) {
      const grown = await aggregateRound(round, (sum) =>
        growTreeFromHistograms(layout, features, monotone, tp, async (splits, nodes) => {
          const flat = await sum('histograms', splits.map((s) => ({ ...s })), [...nodes], nodes.length * 3 * T, share());
          return nodes.map((_, k): NodeHistogram => ({ gh: flat.slice(k * 3 * T, k * 3 * T + 2 * T), count: flat.slice(k * 3 * T + 2 * T, (k + 1) * 3 * T) }));
        }),
      );
      for (const l of active) report.get(l.name)!.rounds++;
      trees.push(grown.tree);
      // The tree is right whoever fails to apply it: a participant that does is dropped from later rounds.
      await tolerant('tree', () => ({ session, round, splits: grown.splits, value: Array.from(grown.tree.value) }), round);
      o.onRound?.(round, active.map((l) => l.name));
    }
    const bytesPerRound = (totalBytes(links) - bytesBefore) / Math.max(1, p.rounds);

    const model: GbdtModel = { objective: 'binary:logistic', baseMargin, featureNames, trees, float32Inputs: false, bestIteration: trees.length, params: { ...p, federated: true } };
    const privacy: PrivacyReport = dp
      ? // ε for the planned maximum of releases, not the count made: how many nodes split depends on the data, and the bound must not.
        { mechanism: 'gaussian', epsilon: Number(epsilonOf(Math.max(planned, releases), z, dp.delta).toPrecision(6)), delta: dp.delta, noiseMultiplier: Number(z.toPrecision(6)), sigma: Number(sigma.toPrecision(6)), releases: Math.max(planned, releases) }
      : { mechanism: 'none', epsilon: null, delta: null, noiseMultiplier: null, sigma: null, releases };
    const federation = {
      participants: [...report.values()].map((r) => ({ name: r.name, rows: r.rows, rounds: r.rounds, dropped: r.dropped })),
      rounds: trees.length,
      retries,
      secureAggregation: 'pairwise X25519 masks, fixed point mod 2^128',
      binCuts: o.cuts === undefined || o.cuts === 'sketch' ? 'merged quantile summaries' : 'supplied',
      privacy,
      positives,
      rows: [...report.values()].reduce((s, r) => s + (r.dropped ? 0 : r.rows), 0),
    };
    // The model is final: a participant failing to take it (score its test rows, register) does not undo it.
    const card = { ...(o.card ?? {}), federation };
    const finished = await Promise.allSettled(active.map((l) => l.call('finish', { session, model: modelToJson(model), card })));
    finished.forEach((f, i) => {
      const r = report.get(active[i]!.name)!;
      if (f.status === 'fulfilled') Object.assign(r, { testRows: f.value.testRows, testAuc: f.value.testAuc, registered: f.value.registered });
      else r.dropped = { round: p.rounds, reason: `finish: ${(f.reason as Error).message}` };
    });
    return { model, participants: [...report.values()], rounds: trees.length, retries, privacy, bytesPerRound, wallSeconds: (performance.now() - started) / 1000, cuts, federation };
  } catch (e) {
    // Fail cleanly: every participant still reachable forgets the session; nothing was registered.
    await Promise.allSettled(active.map((l) => l.call('abort', { session, reason: String((e as Error).message ?? e).slice(0, 500) })));
    throw e;
  }
}

function totalBytes(links: readonly ParticipantLink[]): number {
  return links.reduce((s, l) => s + l.bytes.sent + l.bytes.received, 0);
}
