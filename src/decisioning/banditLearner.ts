/**
 * The bandit's learned state, a log consumer: every offer shown (or answered) for a
 * logged decision is one trial of its action, a success once accepted. Trials feed the
 * Beta-Bernoulli tallies per segment and action, the linear model per action (the reward
 * is the acceptance less the warm start the decision used), and the tallies of the app
 * or chatbot session the decision was made in, which the next decision in that session
 * reads. The state is in memory and rebuilt from the log on start (the checkpoint is 0),
 * so it is exactly what the log says; each trial is kept by customer so an erasure takes
 * their trials back out of every tally. Idempotent: a trial is a set entry whose reward
 * only moves from 0 to 1.
 */
import type { StoredEvent } from '../core/events.js';
import { adjustReward, contextVector, linearArm, observe, predictive, type LinearArm } from '../models/bandit/index.js';
import type { LogConsumer } from '../store/consumer.js';
import type { BanditSettings, BanditView, Tally } from './bandit.js';
import type { DecisionRecord } from './trace.js';

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

  /** `decision` reads a logged decision back (Decisioning.loggedDecision: the one reader of logged records). */
  constructor(private readonly deps: { decision: (decisionId: string) => Promise<{ customerId: string; record: DecisionRecord } | undefined>; settings: BanditSettings }) {}

  /** The state lives in memory: the runner replays the whole log into it on start. */
  async open(): Promise<number> {
    return 0;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
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
    }
    this.forgetIdleSessions();
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
  }

  async close(): Promise<void> {}
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
