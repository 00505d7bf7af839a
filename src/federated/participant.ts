/**
 * A participant: one bank's side of federated training. It holds its rows and never sends
 * them; it answers the coordinator's requests with quantile summaries, a round's public
 * key, and masked fixed-point vectors (label statistics, node histograms), and applies the
 * trees the coordinator grows to its own margins. It refuses anything that would let a
 * vector leave unmasked: an aggregation with fewer peers than agreed, a peer list without
 * its own key, a step it already answered in the round (a reused mask leaks differences).
 */
import { ValidationError, NextbestError } from '../core/errors.js';
import { auc } from '../models/metrics/index.js';
import {
  applySplit,
  binLayout,
  binMatrix,
  buildHistogram,
  checkCuts,
  loadModel,
  objectiveFor,
  predictBatch,
  sketchSummary,
  type AppliedSplit,
  type BinnedDataset,
  type FeatureMatrix,
} from '../models/gbdt/index.js';
import { encode } from './fixedPoint.js';
import { applyMasks, roundKeys, signRoundKey, verifyRoundKey, type Identity, type RoundKeys } from './masks.js';
import { addNoise } from './privacy.js';
import { PROTOCOL_VERSION, type ReplyOf, type RequestOf } from './protocol.js';

/** One bank's training and test rows (they never leave the participant). */
export interface LocalData {
  featureNames: string[];
  /** What the label means (it must match the other participants'). */
  label: string;
  train: FeatureMatrix;
  trainLabel: Float64Array;
  test?: { features: FeatureMatrix; label: Float64Array };
}

/** Registers the finished model in the bank's own registry; returns the model id (or null when not registered). */
export type RegisterModel = (model: Record<string, unknown>, card: Record<string, unknown>, metrics: { testAuc: number | null; testRows: number; testPositives: number }) => Promise<string | null>;

interface SessionState {
  id: string;
  binned: BinnedDataset;
  cuts: Float64Array[];
  margin: Float64Array;
  gradHess: Float64Array;
  minParticipants: number;
  begun: boolean;
  treesApplied: number;
  round: { round: number; attempt: number; keys: RoundKeys; lastStep: number; peers: string | null; rows: Map<number, number[]> } | null;
}

const refuse = (field: string, rule: string, message: string) => new ValidationError([{ field, rule, message }]);

/** A bank in a federation. */
export class Participant {
  private state: SessionState | null = null;

  constructor(
    readonly name: string,
    private readonly data: LocalData,
    private readonly register?: RegisterModel,
    /** With an identity, round keys are signed and peers' keys checked against their pinned identities. */
    private readonly identity?: Identity,
  ) {
    if (data.train.nRows !== data.trainLabel.length) throw refuse('trainLabel', 'length', `${data.trainLabel.length} labels for ${data.train.nRows} rows`);
    if (data.train.nFeatures !== data.featureNames.length) throw refuse('featureNames', 'length', `${data.featureNames.length} names for ${data.train.nFeatures} features`);
    objectiveFor('binary:logistic').checkLabels(data.trainLabel);
  }

  hello(r: RequestOf<'hello'>): ReplyOf<'hello'> {
    void r;
    return { participant: this.name, protocol: PROTOCOL_VERSION, features: [...this.data.featureNames], label: this.data.label, rows: this.data.train.nRows, testRows: this.data.test?.features.nRows ?? 0 };
  }

  /** Each feature's quantile summary (at most maxBin * 8 sketch entries: approximate quantiles, never rows). */
  sketch(r: RequestOf<'sketch'>): ReplyOf<'sketch'> {
    const { nRows, nFeatures, values } = this.data.train;
    const summaries = [];
    for (let f = 0; f < nFeatures; f++) {
      const col: number[] = [];
      for (let i = 0; i < nRows; i++) {
        const v = values[i * nFeatures + f]!;
        if (v === v) col.push(v);
      }
      summaries.push(sketchSummary(Float64Array.from(col), null, r.maxBin));
    }
    return { summaries };
  }

  setup(r: RequestOf<'setup'>): ReplyOf<'setup'> {
    const cuts = checkCuts(r.cuts.map((c) => Float64Array.from(c)), this.data.train.nFeatures);
    const n = this.data.train.nRows;
    this.state = {
      id: r.session,
      binned: binMatrix(this.data.train, cuts),
      cuts,
      margin: new Float64Array(n),
      gradHess: new Float64Array(2 * n),
      minParticipants: r.minParticipants,
      begun: false,
      treesApplied: 0,
      round: null,
    };
    return { ok: true };
  }

  /** A fresh key pair for a round attempt; a new attempt of a round starts it over from the same margins. */
  keys(r: RequestOf<'keys'>): ReplyOf<'keys'> {
    const s = this.session(r.session);
    if (r.round >= 0) {
      if (!s.begun) throw refuse('round', 'begun', 'round 0 before the base margin was set (begin)');
      if (r.round !== s.treesApplied) throw refuse('round', 'next_round', `expected round ${s.treesApplied}, got ${r.round}`);
      objectiveFor('binary:logistic').gradients(s.margin, this.data.trainLabel, null, s.gradHess);
    }
    if (s.round && s.round.round === r.round && r.attempt <= s.round.attempt) throw refuse('attempt', 'fresh', `attempt ${r.attempt} of round ${r.round} was already keyed`);
    const all = Array.from({ length: this.data.train.nRows }, (_, i) => i);
    s.round = { round: r.round, attempt: r.attempt, keys: roundKeys(), lastStep: -1, peers: null, rows: new Map([[0, all]]) };
    const publicKey = s.round.keys.publicKey;
    return this.identity ? { publicKey, signature: signRoundKey(this.identity.privateKey, s.id, r.round, r.attempt, this.name, publicKey) } : { publicKey };
  }

  /** One masked vector: the label statistics or the histograms of the requested nodes. */
  aggregate(r: RequestOf<'aggregate'>): ReplyOf<'aggregate'> {
    const s = this.session(r.session);
    const rd = s.round;
    if (!rd || rd.round !== r.round || rd.attempt !== r.attempt) throw refuse('attempt', 'keyed', `round ${r.round} attempt ${r.attempt} has no key pair here`);
    if (r.step <= rd.lastStep) throw refuse('step', 'fresh', `step ${r.step} was already answered in this attempt (a reused mask would leak)`);
    const peers = new Map(Object.entries(r.peers));
    if (peers.get(this.name) !== rd.keys.publicKey) throw refuse('peers', 'own_key', 'the peer list does not carry this participant\'s key for the round');
    if (peers.size < s.minParticipants) throw refuse('peers', 'min_participants', `${peers.size} participants, fewer than the ${s.minParticipants} agreed: the sum would not hide this one`);
    if (this.identity) {
      for (const [peer, key] of peers) {
        if (peer === this.name) continue;
        const pinned = this.identity.peers.get(peer);
        if (!pinned) throw refuse(`peers.${peer}`, 'known_peer', `${peer} is not among this participant's pinned peers`);
        if (!verifyRoundKey(pinned, r.signatures[peer], s.id, r.round, r.attempt, peer, key)) throw refuse(`signatures.${peer}`, 'signed_key', `the round key of ${peer} is not signed by ${peer}'s identity`);
      }
    }
    const peerKey = JSON.stringify([...peers].sort());
    if (rd.peers !== null && rd.peers !== peerKey) throw refuse('peers', 'fixed', 'the peer list changed within a round attempt');
    rd.peers = peerKey;
    rd.lastStep = r.step;

    let plain: Float64Array;
    if (r.kind === 'stats') {
      let sum = 0;
      for (const y of this.data.trainLabel) sum += y;
      plain = Float64Array.from([sum, this.data.trainLabel.length]);
    } else {
      if (r.round < 0) throw refuse('kind', 'round', 'histograms need a tree round (>= 0)');
      const layout = binLayout(s.cuts);
      for (const split of r.splits) this.checkSplit(split, s, rd.rows);
      const binOf = cellBin(s.binned);
      for (const split of r.splits) applySplit(split, layout, binOf, rd.rows);
      plain = this.histograms(s, rd.rows, r.nodes);
    }
    addNoise(plain, r.noiseShare);
    const words = encode(plain);
    applyMasks(words, this.name, rd.keys.privateKey, peers, `${s.id}|${r.round}|${r.attempt}`, r.step);
    return { masked: Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('base64'), words: words.length };
  }

  /** Sets every row's margin to the agreed base margin. */
  begin(r: RequestOf<'begin'>): ReplyOf<'begin'> {
    const s = this.session(r.session);
    s.margin.fill(r.baseMargin);
    s.begun = true;
    s.treesApplied = 0;
    return { ok: true };
  }

  /** Adds a finished tree's leaf values to the margins of this bank's rows. */
  tree(r: RequestOf<'tree'>): ReplyOf<'tree'> {
    const s = this.session(r.session);
    if (r.round < s.treesApplied) return { ok: true }; // already applied: a retried delivery
    if (r.round !== s.treesApplied) throw refuse('round', 'next_round', `expected the tree of round ${s.treesApplied}, got ${r.round}`);
    if (r.value.length !== 1 + 2 * r.splits.length) throw refuse('value', 'length', `${r.value.length} node values for ${r.splits.length} splits`);
    const rows = new Map([[0, Array.from({ length: this.data.train.nRows }, (_, i) => i)]]);
    const layout = binLayout(s.cuts);
    const binOf = cellBin(s.binned);
    for (const split of r.splits) {
      this.checkSplit(split, s, rows);
      applySplit(split, layout, binOf, rows);
    }
    for (const [leaf, list] of rows) {
      const v = r.value[leaf];
      if (v === undefined || !Number.isFinite(v)) throw refuse(`value[${leaf}]`, 'finite', 'a leaf value is missing or not finite');
      for (const i of list) s.margin[i] += v;
    }
    s.treesApplied++;
    s.round = null;
    return { ok: true };
  }

  /** Scores the bank's own test rows with the final model, and registers it when a registry was given. */
  async finish(r: RequestOf<'finish'>): Promise<ReplyOf<'finish'>> {
    this.session(r.session);
    const model = loadModel(r.model);
    if (model.featureNames.join('\u0000') !== this.data.featureNames.join('\u0000')) throw refuse('model.featureNames', 'same_features', 'the model was trained on other features');
    const test = this.data.test;
    let testAuc: number | null = null;
    let testPositives = 0;
    if (test && test.features.nRows > 0) {
      for (const y of test.label) testPositives += y;
      const p = predictBatch(model, test.features);
      testAuc = testPositives > 0 && testPositives < test.label.length ? auc(p, test.label) : null;
    }
    const metrics = { testAuc, testRows: test?.features.nRows ?? 0, testPositives };
    const registered = this.register ? await this.register(r.model, r.card, metrics) : null;
    this.state = null;
    return { ...metrics, registered };
  }

  abort(r: RequestOf<'abort'>): ReplyOf<'abort'> {
    if (this.state?.id === r.session) this.state = null;
    return { ok: true };
  }

  private session(id: string): SessionState {
    if (!this.state || this.state.id !== id) throw new NextbestError('NOT_FOUND', `no federated session ${id} here (setup first)`, { session: id });
    return this.state;
  }

  private checkSplit(split: AppliedSplit, s: SessionState, rows: Map<number, number[]>): void {
    if (split.feature >= s.cuts.length) throw refuse('splits.feature', 'range', `feature ${split.feature} of ${s.cuts.length}`);
    if (split.bin >= s.cuts[split.feature]!.length) throw refuse('splits.bin', 'range', `bin ${split.bin} beyond the feature's ${s.cuts[split.feature]!.length} value bins`);
    if (!rows.has(split.node)) throw refuse('splits.node', 'open_leaf', `node ${split.node} is not a leaf of the tree so far`);
    if (rows.has(split.left) || rows.has(split.right) || split.left === split.right) throw refuse('splits.left', 'new_nodes', 'children must be new node ids');
  }

  /** Per node: [g, h] per global bin, then rows per bin. */
  private histograms(s: SessionState, rows: Map<number, number[]>, nodes: readonly number[]): Float64Array {
    const { binned, gradHess } = s;
    const T = binned.totalBins;
    const out = new Float64Array(nodes.length * 3 * T);
    nodes.forEach((node, k) => {
      const list = rows.get(node);
      if (!list) throw refuse('nodes', 'open_leaf', `node ${node} is not a leaf of the tree so far`);
      const ids = Uint32Array.from(list);
      const gh = out.subarray(k * 3 * T, k * 3 * T + 2 * T);
      buildHistogram(binned.bins, binned.nFeatures, ids, 0, ids.length, gradHess, gh);
      const count = out.subarray(k * 3 * T + 2 * T, (k + 1) * 3 * T);
      const F = binned.nFeatures;
      for (const r of ids) for (let f = 0; f < F; f++) count[binned.bins[r * F + f]!]++;
    });
    return out;
  }
}

/** Local bin of a cell (the feature's missing bin is `cuts[f].length`). */
function cellBin(b: BinnedDataset): (row: number, feature: number) => number {
  return (row, f) => b.bins[row * b.nFeatures + f]! - b.binOffset[f]!;
}
