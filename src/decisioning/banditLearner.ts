/**
 * The bandit's learned state, a log consumer: every offer shown (or answered) for a
 * logged decision is one trial of its action, a success once accepted. Trials feed the
 * Beta-Bernoulli tallies per segment and action, the linear model per action (the reward
 * is the acceptance less the warm start the decision used), and the tallies of the app
 * or chatbot session the decision was made in, which the next decision in that session
 * reads. Each trial is kept by customer so an erasure takes their trials back out of
 * every tally. Idempotent: a trial is a set entry whose reward only moves from 0 to 1.
 *
 * It learns only while enabled: when no channel has an exploration budget and no bandit
 * arm has run, it applies nothing and decisions do not wait for it. Enabling it (a
 * channel configured at start, or the first decision under a bandit arm) builds the state
 * from the whole log once; from then on it follows the log. Its state is saved as a
 * snapshot with the log seq it reflects (on close and every `snapshotEvery` responses),
 * so a start replays only the log after it.
 */
import type { StoredEvent } from '../core/events.js';
import { adjustReward, contextVector, linearArm, observe, predictive, type LinearArm } from '../models/bandit/index.js';
import type { LogConsumer } from '../store/consumer.js';
import type { EventLog } from '../store/eventLog.js';
import type { BanditSettings, BanditView, Tally } from './bandit.js';
import type { DecisionRecord } from './trace.js';

/** Where the learner's snapshot is kept (a file beside the data, engine/banditSnapshot.ts); absent: none, the state is rebuilt from the log. */
export interface BanditSnapshots {
  load(): Promise<string | undefined>;
  save(snapshot: string): Promise<void>;
}

/** The learner's dependencies. */
export interface BanditLearnerDeps {
  /** Reads a logged decision back (Decisioning.loggedDecision: the one reader of logged records). */
  decision: (decisionId: string) => Promise<{ customerId: string; record: DecisionRecord } | undefined>;
  settings: BanditSettings;
  /** The event log, read to build the state when the learner is enabled after start. */
  events?: Pick<EventLog, 'readAfter' | 'head'>;
  snapshots?: BanditSnapshots;
  /** Learn from the start (a channel has a budget); else enabled by the first bandit-arm decision. */
  enabled?: boolean;
  /** Responses applied between snapshots (default 10,000). */
  snapshotEvery?: number;
}

const FORMAT = 1;

interface Trial {
  customerId: string;
  segment: string;
  actionId: string;
  family: string;
  /** The acceptance estimate the decision used (the warm start the linear model learns the residual of). */
  prior: number;
  x: Float64Array | undefined;
  reward: 0 | 1;
  sessionId: string | null;
}

interface Session {
  customerId: string;
  lastAt: number;
  actions: Map<string, Tally>;
  families: Map<string, Tally>;
}

const SEP = '\u0000';

/** The learned state the bandit step reads, kept from the event log. */
export class BanditLearner implements LogConsumer, BanditView {
  readonly name = 'bandit';
  private readonly tallies = new Map<string, Tally>();
  private readonly models = new Map<string, LinearArm>();
  private readonly trials = new Map<string, Trial>();
  private readonly byCustomer = new Map<string, Set<string>>();
  private readonly sessions = new Map<string, Session>();
  private latest = Number.NEGATIVE_INFINITY;
  /** The highest log seq applied (what a snapshot reflects). */
  private applied = 0;
  private sinceSnapshot = 0;
  private enabling: Promise<void> | undefined;
  private on: boolean;

  constructor(private readonly deps: BanditLearnerDeps) {
    this.on = deps.enabled ?? false;
  }

  /** Whether the learner follows the log (decisions wait for it only then). */
  get enabled(): boolean {
    return this.on;
  }

  /**
   * The runner's start: with a snapshot made under the same settings, its state and seq;
   * enabled without one, 0 (the whole log is replayed); disabled, the log's head (nothing
   * to replay: enabling reads the log itself).
   */
  async open(): Promise<number> {
    if (!this.on) {
      this.applied = (await this.deps.events?.head()) ?? 0;
      return this.applied;
    }
    const saved = await this.deps.snapshots?.load();
    if (saved !== undefined && this.restore(saved)) return this.applied;
    return 0;
  }

  /** Starts learning: reads the log up to its head once; later events come through apply (an overlap counts once). Concurrent calls share the one build. */
  enable(): Promise<void> {
    if (this.on) return this.enabling ?? Promise.resolve();
    this.on = true;
    this.enabling = (async () => {
      const upTo = Math.max(this.applied, (await this.deps.events?.head()) ?? 0);
      let after = 0;
      while (this.deps.events && after < upTo) {
        const page = await this.deps.events.readAfter(after, 5000);
        if (page.length === 0) break;
        await this.learn(page.filter((e) => e.seq <= upTo));
        after = page[page.length - 1]!.seq;
      }
    })();
    return this.enabling;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    if (!this.on) {
      for (const s of events) this.applied = Math.max(this.applied, s.seq);
      return;
    }
    await this.learn(events);
    for (const s of events) this.applied = Math.max(this.applied, s.seq);
    if (this.deps.snapshots && this.sinceSnapshot >= (this.deps.snapshotEvery ?? 10_000)) await this.saveSnapshot();
  }

  private async learn(events: readonly StoredEvent[]): Promise<void> {
    for (const s of events) {
      const e = s.event;
      if (e.type !== 'offer_response') continue;
      const key = e.payload.decisionId + SEP + e.payload.actionId;
      let trial = this.trials.get(key);
      if (!trial) {
        const logged = await this.deps.decision(e.payload.decisionId);
        if (!logged || logged.customerId !== e.customerId) continue;
        trial = this.trialOf(logged.record, e.payload.actionId);
        if (!trial) continue;
        this.add(key, trial, s.t);
      }
      if (e.payload.response === 'accepted' && trial.reward === 0) this.accept(trial, s.t);
      this.latest = Math.max(this.latest, s.t);
      this.sinceSnapshot++;
    }
    this.forgetIdleSessions();
  }

  /** What the settings the state was learnt under say about its shape (a snapshot under others is not used). */
  private shape(): string {
    const s = this.deps.settings;
    return JSON.stringify({ model: s.model, features: s.features, ridge: s.ridge });
  }

  /** The whole state as JSON (doubles round-trip exactly). */
  snapshot(): string {
    return JSON.stringify({
      format: FORMAT,
      shape: this.shape(),
      applied: this.applied,
      latest: Number.isFinite(this.latest) ? this.latest : null,
      tallies: [...this.tallies].map(([k, t]) => [k, t.trials, t.successes]),
      models: [...this.models].map(([k, m]) => [k, m.precision.n, Array.from(m.precision.data), Array.from(m.moment), m.n]),
      trials: [...this.trials].map(([k, t]) => [k, t.customerId, t.segment, t.actionId, t.family, t.prior, t.x ? Array.from(t.x) : null, t.reward, t.sessionId]),
      sessions: [...this.sessions].map(([id, x]) => [id, x.customerId, x.lastAt, [...x.actions].map(([a, t]) => [a, t.trials, t.successes]), [...x.families].map(([f, t]) => [f, t.trials, t.successes])]),
    });
  }

  /** Loads a snapshot; false (and nothing changed) when it is of another format or settings. */
  restore(json: string): boolean {
    type Row = [string, number, number];
    const o = JSON.parse(json) as { format: number; shape: string; applied: number; latest: number | null; tallies: Row[]; models: [string, number, number[], number[], number][]; trials: [string, string, string, string, string, number, number[] | null, 0 | 1, string | null][]; sessions: [string, string, number, Row[], Row[]][] };
    if (o.format !== FORMAT || o.shape !== this.shape()) return false;
    const tallies = (rows: Row[]) => new Map(rows.map(([k, trials, successes]) => [k, { trials, successes }]));
    this.tallies.clear();
    for (const [k, t] of tallies(o.tallies)) this.tallies.set(k, t);
    this.models.clear();
    for (const [k, n, data, moment, count] of o.models) this.models.set(k, { precision: { n, data: Float64Array.from(data) }, moment: Float64Array.from(moment), n: count });
    this.trials.clear();
    this.byCustomer.clear();
    for (const [key, customerId, segment, actionId, family, prior, x, reward, sessionId] of o.trials) {
      this.trials.set(key, { customerId, segment, actionId, family, prior, x: x ? Float64Array.from(x) : undefined, reward, sessionId });
      let keys = this.byCustomer.get(customerId);
      if (!keys) this.byCustomer.set(customerId, (keys = new Set()));
      keys.add(key);
    }
    this.sessions.clear();
    for (const [id, customerId, lastAt, actions, families] of o.sessions) this.sessions.set(id, { customerId, lastAt, actions: tallies(actions), families: tallies(families) });
    this.applied = o.applied;
    this.latest = o.latest ?? Number.NEGATIVE_INFINITY;
    return true;
  }

  private async saveSnapshot(): Promise<void> {
    if (!this.deps.snapshots || !this.on) return;
    await this.enabling;
    await this.deps.snapshots.save(this.snapshot());
    this.sinceSnapshot = 0;
  }

  private trialOf(r: DecisionRecord, actionId: string): Trial | undefined {
    const t = r.candidates.find((c) => c.actionId === actionId);
    if (!t) return undefined;
    const features = this.deps.settings.features;
    return {
      customerId: r.customerId,
      segment: r.inputs.customer.segment,
      actionId,
      family: t.family,
      prior: t.propensity ?? 0,
      x: this.deps.settings.model === 'linear' ? contextVector(r.inputs.profile, features) : undefined,
      reward: 0,
      sessionId: r.inputs.sessionId,
    };
  }

  private add(key: string, t: Trial, at: number): void {
    this.trials.set(key, t);
    let keys = this.byCustomer.get(t.customerId);
    if (!keys) this.byCustomer.set(t.customerId, (keys = new Set()));
    keys.add(key);
    bump(this.tally(t.segment + SEP + t.actionId), 1, 0);
    if (t.x) observe(this.model(t.actionId, t.x.length), t.x, -t.prior);
    const session = this.sessionOf(t, at);
    if (session) {
      bump(tallyIn(session.actions, t.actionId), 1, 0);
      bump(tallyIn(session.families, t.family), 1, 0);
    }
  }

  private accept(t: Trial, at: number): void {
    t.reward = 1;
    bump(this.tally(t.segment + SEP + t.actionId), 0, 1);
    if (t.x) adjustReward(this.model(t.actionId, t.x.length), t.x, 1);
    const session = this.sessionOf(t, at);
    if (session) {
      bump(tallyIn(session.actions, t.actionId), 0, 1);
      bump(tallyIn(session.families, t.family), 0, 1);
    }
  }

  private sessionOf(t: Trial, at: number): Session | undefined {
    if (!t.sessionId) return undefined;
    let s = this.sessions.get(t.sessionId);
    if (!s) this.sessions.set(t.sessionId, (s = { customerId: t.customerId, lastAt: at, actions: new Map(), families: new Map() }));
    s.lastAt = Math.max(s.lastAt, at);
    return s;
  }

  private forgetIdleSessions(): void {
    const cutoff = this.latest - this.deps.settings.session.ttlMinutes * 60_000;
    for (const [id, s] of this.sessions) if (s.lastAt < cutoff) this.sessions.delete(id);
  }

  private tally(key: string): Tally {
    return tallyIn(this.tallies, key);
  }

  private model(actionId: string, dims: number): LinearArm {
    let m = this.models.get(actionId);
    if (!m) this.models.set(actionId, (m = linearArm(dims, this.deps.settings.ridge)));
    return m;
  }

  segment(segment: string, actionId: string): Tally | undefined {
    return this.tallies.get(segment + SEP + actionId);
  }

  linear(actionId: string, profile: DecisionRecord['inputs']['profile']): { mean: number; sd: number } | undefined {
    const m = this.models.get(actionId);
    if (!m) return undefined;
    return predictive(m, contextVector(profile, this.deps.settings.features), this.deps.settings.noise);
  }

  session(sessionId: string): Session | undefined {
    return this.sessions.get(sessionId);
  }

  /** Trials and acceptances by action over every segment (reports and the twin). */
  actionTotals(): Map<string, Tally> {
    const out = new Map<string, Tally>();
    for (const [k, t] of this.tallies) bump(tallyIn(out, k.slice(k.indexOf(SEP) + 1)), t.trials, t.successes);
    return out;
  }

  /** GDPR erasure: the customer's trials leave every tally, model and session. */
  async erase(customerId: string): Promise<void> {
    const keys = this.byCustomer.get(customerId);
    for (const key of keys ?? []) {
      const t = this.trials.get(key)!;
      bump(this.tally(t.segment + SEP + t.actionId), -1, -t.reward);
      if (t.x) observe(this.model(t.actionId, t.x.length), t.x, t.reward - t.prior, -1);
      this.trials.delete(key);
    }
    this.byCustomer.delete(customerId);
    for (const [id, s] of this.sessions) if (s.customerId === customerId) this.sessions.delete(id);
    // A snapshot must not keep what was erased.
    if (keys && keys.size > 0) await this.saveSnapshot();
  }

  /** Saves the snapshot (the runner has applied everything it will). */
  async close(): Promise<void> {
    if (this.sinceSnapshot > 0) await this.saveSnapshot();
  }
}

function tallyIn(m: Map<string, Tally>, key: string): Tally {
  let t = m.get(key);
  if (!t) m.set(key, (t = { trials: 0, successes: 0 }));
  return t;
}

function bump(t: Tally, trials: number, successes: number): void {
  t.trials += trials;
  t.successes += successes;
}
