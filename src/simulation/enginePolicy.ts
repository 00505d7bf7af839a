/**
 * The decisioning engine as a policy in the twin's closed loop. It sees only the engine's
 * view of each customer (record, balances, recent activity), mapped onto the bank-pack
 * feature names the catalogue's rules read; its propensities come from GBDT models
 * trained on an exploration run of the twin with a different seed (the truth is never
 * shown to it). `compareOnTwin` runs it against random, rules and oracle.
 */
import { ManualClock } from '../core/clock.js';
import { GLOBAL_CUSTOMER, type BankEvent, type StoredEvent } from '../core/events.js';
import { BanditSettings, Decisioning, GbdtScorer, customerView, type BanditSettingsInput, type Catalogue, type FeatureValues, type PropensityModel, type PropensityScorer } from '../decisioning/index.js';
import { evaluateTriggers, type CompiledTrigger, type EarlierFire, type Readings, type TriggerFire } from '../triggers/index.js';
import { MemoryContactStore } from '../store/memory/contactStore.js';
import { MemoryDecisionLog } from '../store/memory/decisionLog.js';
import type { DecisionLog, LinkedResponse, LoggedDecision } from '../store/decisionLog.js';
import { runClosedLoop, type CustomerView, type NamedPolicy, type Offer, type PolicyContext } from './closedLoop.js';
import { ACTION_FAMILIES, consentAllows, FAMILY, OFFER_CHANNELS, type ActionFamily, type OfferChannel } from './offers.js';
import { REFERENCE_POLICIES } from './policies.js';
import type { ScenarioInput } from './scenario.js';
import { Yardstick, type TwinComparison } from './yardstick.js';
import { twinProfile, TWIN_MODEL_FEATURES } from './twinProfile.js';
import { ChurnSampler, churnScores, type TwinScores } from './twinScores.js';
import { trainFamily, type LabelledOffer, type TwinRetrainer } from './twinRetrain.js';
import { leavingGivenTakeUp, type LeaverTakeUp } from '../models/stats/leaverMixture.js';
import { RetentionTakeUpScorer } from './retentionTakeUp.js';

export { acceptedValue, type TwinComparison } from './yardstick.js';
export { twinProfile, TWIN_MODEL_FEATURES } from './twinProfile.js';

/** How often the retention mixture is refitted with the engine's own retention offers (as the retrainer's checks). */
const RETENTION_REFIT_DAYS = 15;

/** A customer's number (the digits of the id): what calibration folds group offers by. */
const customerNumber = (id: string): number => Number(id.replace(/\D/g, '')) || 0;

/** The channels the engine tries, best first: the customer's preferred one, then in-app, then email. */
function channelsFor(view: CustomerView, only?: readonly OfferChannel[]): OfferChannel[] {
  if (only) return [...only];
  const p = view.customer.preferredChannel;
  const first = p && (OFFER_CHANNELS as readonly string[]).includes(p) ? (p as OfferChannel) : 'in_app';
  return [...new Set<OfferChannel>([first, 'in_app', 'email'])];
}

/**
 * The engine acting on the moment: the catalogue's triggers (catalogue/triggers.yaml) are
 * evaluated over each customer's events of the day, with the customer's readings (profile
 * and scores, as the engine sees them) before and after the day. A fire is decided the next
 * morning (the twin's first chance to reach the customer) among the trigger's actions or
 * families, on its channels. `batch: false` acts only on fires; otherwise a customer with no
 * fire (or whose fire chose nothing) gets the batch decision as before.
 */
export interface EngineTriggers {
  triggers: readonly CompiledTrigger[];
  batch: boolean;
}

/** Trigger fires seen in a closed-loop run, by trigger, and the offers they led to. */
export interface TriggerTally {
  fires: Record<string, number>;
  offers: Record<string, number>;
  heldBack: number;
}

/**
 * The readings triggers compare before and after a day, from what the engine sees:
 * the twin profile, the served scores, the login trend (logins now against 30 days earlier)
 * and the stress state as the engine can tell it (0 current, 1 stretched: overdrawn or late,
 * 2 arrears: a missed repayment or a hardship contact within the year).
 */
function triggerReadings(profile: FeatureValues, scores: Record<string, number>, loginsBefore: number | undefined): Readings {
  const n = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const logins = n(profile.logins_30d);
  const trend = loginsBefore !== undefined && loginsBefore >= 1 ? logins / loginsBefore : null;
  const stress = n(profile.loan_repayments_missed_365d) >= 1 || n(profile.hardship_contacts_365d) >= 1 ? 2 : n(profile.overdraft_days_90d) >= 10 || n(profile.loan_repayments_late_365d) >= 1 ? 1 : 0;
  return { profile: { ...profile, logins_trend_30d: trend }, scores: { ...scores, financial_stress: stress } };
}

/**
 * The decisioning engine as a closed-loop policy, on memory stores and the twin's clock. It
 * hears the responses to its own offers (`observe`), so a decline starts the catalogue's
 * cool-down as it does when the engine ingests `offer_response` events. With `triggers`, it
 * also acts on the moments its triggers catch in the day's events (EngineTriggers).
 */
export function enginePolicy(
  catalogue: Catalogue,
  scorer?: PropensityScorer,
  name = 'engine',
  scores?: TwinScores,
  retrainer?: TwinRetrainer,
  o: {
    triggers?: EngineTriggers;
    /** Where decisions are logged (default: a memory log that keeps every record). */
    log?: DecisionLog;
    /** Exploration budgets and how the bandit learns (config `decisioning.bandit`); none: the deterministic engine. */
    bandit?: BanditSettingsInput;
    /** The channels tried, in order (default: the preferred one, in-app, email). */
    channels?: readonly OfferChannel[];
  } = {},
): NamedPolicy & { decisioning: Decisioning; triggerTally: TriggerTally; log: DecisionLog } {
  const triggers = o.triggers;
  const clock = new ManualClock('2025-01-01T10:00:00Z');
  const log = o.log ?? new MemoryDecisionLog();
  const decisioning = new Decisioning(catalogue, {
    clock,
    customers: { get: async () => undefined },
    consentEvents: async () => [],
    contacts: new MemoryContactStore(),
    log,
    ...(scorer ? { scorer } : {}),
    ...(o.bandit ? { bandit: BanditSettings.parse(o.bandit) } : {}),
  });
  const channelCapped = new Set(catalogue.contactPolicy.caps.filter((c) => c.channel !== '*').map((c) => c.channel));
  // The caps on every contact: when one binds, no channel can choose anything (a shortcut only:
  // the engine's contact store still checks every cap).
  const customerCaps = catalogue.contactPolicy.caps.filter((c) => c.channel === '*' && c.family === undefined);
  const contactDays = new Map<string, number[]>();
  const capped = (customerId: string, day: number) => {
    const days = contactDays.get(customerId) ?? [];
    return customerCaps.some((c) => days.filter((d) => day - d < c.periodDays).length >= c.max);
  };
  // Offers by customer and day: the twin's responses name the family, the engine's the action.
  // Kept a week, as a faulty feed can deliver a response days late.
  const shown = new Map<string, { decisionId: string; actionId: string; day: number; offer: LabelledOffer }>();
  let seq = 0;
  // Triggers: each customer's events of the last observed day, their readings the morning
  // before, their logins by day (for the trend) and their earlier fires (the once-per guard).
  const eventsOf = new Map<string, BankEvent[]>();
  const lastReadings = new Map<string, Readings>();
  const loginsByDay = new Map<string, number[]>();
  const firedOf = new Map<string, EarlierFire[]>();
  const triggerTally: TriggerTally = { fires: {}, offers: {}, heldBack: 0 };
  // Take-ups heard in the feed: the day each customer last took up each family (help already given is not offered again at once).
  const takenUp = new Map<string, Partial<Record<ActionFamily, number>>>();
  // Retention take-up by churn score (retentionTakeUp.ts): refitted every RETENTION_REFIT_DAYS
  // with the engine's own retention offers, once their answers are in (a week: late feeds).
  let mix = scorer instanceof RetentionTakeUpScorer ? scorer : undefined;
  const mixVersion = mix?.version;
  const ownRetention: LabelledOffer[] = [];
  let refits = 0;

  /** One decision on each of the channels in turn until one chooses something. */
  async function decideOn(view: CustomerView, ctx: PolicyContext, inputs: { customer: ReturnType<typeof customerView>; consents: Record<string, boolean>; scores: Record<string, number>; now: number }, channels: OfferChannel[], only?: { actions: string[]; families: string[] }, tag = ''): Promise<Offer | null> {
    for (const channel of channels) {
      const decisionId = `${view.customerId}-${ctx.day}-${channel}${tag}`;
      const p = twinProfile(view, channel, inputs.scores);
      const r = await decisioning.decideWith(
        { customer: inputs.customer, profile: p, profileVersion: 'twin', scores: inputs.scores, consents: inputs.consents, context: only ? { trigger: tag.slice(1) } : {}, sessionId: null, ...(only ? { only } : {}) },
        { channel, n: 1, now: inputs.now, decisionId },
      );
      const chosen = r.chosen[0];
      if (chosen) {
        const family = FAMILY[chosen.family as ActionFamily];
        const modelled = r.candidates.find((c) => c.actionId === chosen.actionId)?.propensitySource === 'model';
        const offer: LabelledOffer = { row: Float64Array.from(TWIN_MODEL_FEATURES, (f) => p[f] ?? Number.NaN), family, label: 0, day: ctx.day, group: customerNumber(view.customerId), ...(modelled ? { predicted: chosen.propensity } : {}) };
        retrainer?.offered(offer);
        const churnRisk = inputs.scores.churn_risk;
        if (mix && family === FAMILY.retention && churnRisk !== undefined && Number.isFinite(churnRisk)) {
          offer.churn = churnRisk;
          ownRetention.push(offer);
        }
        shown.set(`${view.customerId}|${ctx.date}`, { decisionId, actionId: chosen.actionId, day: ctx.day, offer });
        contactDays.set(view.customerId, [...(contactDays.get(view.customerId) ?? []).filter((d) => ctx.day - d < 366), ctx.day]);
        return { family: chosen.family as ActionFamily, channel };
      }
      // Another channel can only help when something here depended on the channel.
      const channelBound = r.candidates.some((c) => {
        const x = c.excludedBy;
        return x !== undefined && (x.kind === 'channel' || x.kind === 'volume' || x.rule === 'quiet_hours' || (x.rule === 'frequency_cap' && channelCapped.has(channel)));
      });
      if (!channelBound) return null;
    }
    return null;
  }

  /** The fires of the customer's triggers over yesterday's events, highest priority first. */
  function firesFor(view: CustomerView, now: number, customerView: Record<string, unknown>, readings: Readings): TriggerFire[] {
    const events = eventsOf.get(view.customerId) ?? [];
    const before = lastReadings.get(view.customerId);
    lastReadings.set(view.customerId, readings);
    if (!triggers || events.length === 0) return [];
    const fired = firedOf.get(view.customerId) ?? [];
    const preferred = (OFFER_CHANNELS as readonly string[]).includes(view.customer.preferredChannel ?? '') ? (view.customer.preferredChannel as OfferChannel) : undefined;
    const out: TriggerFire[] = [];
    events.forEach((event, k) => {
      const last = k === events.length - 1;
      const outcome = evaluateTriggers(triggers.triggers, {
        event,
        at: Date.parse(event.occurredAt),
        customer: { preferredChannel: preferred, view: customerView },
        // Before the customer's last event of the day, "before" is "after": only event patterns can fire.
        // The first morning has no "before" (the bank's history before the run): nothing is a crossing yet.
        before: last ? (before ?? readings) : readings,
        after: readings,
        fired,
      });
      triggerTally.heldBack += outcome.heldBack.length;
      for (const f of outcome.fires) {
        fired.push({ triggerId: f.triggerId, at: f.at });
        triggerTally.fires[f.triggerId] = (triggerTally.fires[f.triggerId] ?? 0) + 1;
        out.push(f);
      }
    });
    firedOf.set(view.customerId, fired.filter((f) => now - f.at < 366 * 86_400_000));
    return out.sort((a, b) => b.priority - a.priority);
  }

  return {
    name,
    decisioning,
    log,
    triggerTally,
    async decide(seen: CustomerView, ctx: PolicyContext): Promise<Offer | null> {
      const taken = takenUp.get(seen.customerId);
      const view = taken ? { ...seen, daysSinceTakeUp: Object.fromEntries(Object.entries(taken).map(([f, d]) => [f, ctx.day - d!])) } : seen;
      // Mid-morning in the customer's time zone: outside quiet hours.
      const now = Date.parse(`${ctx.date}T10:00:00Z`);
      clock.set(now);
      const record = { ...view.customer, holdings: view.holdings, consents: { ...view.customer.consents, ...view.consents } };
      const customer = customerView(record, now);
      // Scores the catalogue's rules read (churn risk): the customer's, whatever the channel; with
      // the retention mixture, the chance a customer who takes a retention offer up was leaving.
      const served = scores?.scores(view) ?? {};
      const ruleScores = mix && served.churn_risk !== undefined ? { ...served, leaving_given_retention: leavingGivenTakeUp(mix.fit, served.churn_risk) } : served;
      const inputs = { customer, consents: record.consents as Record<string, boolean>, scores: ruleScores, now };
      let fires: TriggerFire[] = [];
      if (triggers) {
        const profile = twinProfile(view, 'in_app');
        const logins = loginsByDay.get(view.customerId) ?? [];
        logins.push(Number(profile.logins_30d ?? 0));
        if (logins.length > 31) logins.shift();
        loginsByDay.set(view.customerId, logins);
        fires = firesFor(view, now, customer as unknown as Record<string, unknown>, triggerReadings(profile, ruleScores, logins.length > 30 ? logins[0] : undefined));
      }
      if (capped(view.customerId, ctx.day)) return null;
      for (const f of fires) {
        const channels = f.channels.filter((c): c is OfferChannel => (OFFER_CHANNELS as readonly string[]).includes(c));
        const offer = await decideOn(view, ctx, inputs, channels, { actions: [...f.consider.actions], families: [...f.consider.families] }, `-${f.triggerId}`);
        if (offer) {
          triggerTally.offers[f.triggerId] = (triggerTally.offers[f.triggerId] ?? 0) + 1;
          return offer;
        }
      }
      if (triggers && !triggers.batch) return null;
      return decideOn(view, ctx, inputs, channelsFor(view, o.channels));
    },
    async observe(events: BankEvent[], day: number): Promise<void> {
      const stored: StoredEvent[] = [];
      if (triggers) {
        eventsOf.clear();
        for (const e of events) {
          if (e.customerId === GLOBAL_CUSTOMER || e.type === 'offer_response') continue;
          const list = eventsOf.get(e.customerId);
          if (list) list.push(e);
          else eventsOf.set(e.customerId, [e]);
        }
      }
      for (const e of events) {
        if (e.type !== 'offer_response') continue;
        const mine = shown.get(`${e.customerId}|${e.occurredAt.slice(0, 10)}`);
        if (!mine) continue;
        if (e.payload.response === 'accepted') {
          // The retrainer and the retention mixture read the label off the offer they kept.
          mine.offer.label = 1;
          const family = ACTION_FAMILIES[mine.offer.family]!;
          const t = takenUp.get(e.customerId);
          if (t) t[family] = mine.day;
          else takenUp.set(e.customerId, { [family]: mine.day });
        }
        const t = Date.parse(e.occurredAt);
        stored.push({ seq: ++seq, t, recordedAt: t, event: { ...e, payload: { ...e.payload, decisionId: mine.decisionId, actionId: mine.actionId } } });
      }
      for (const [key, x] of shown) if (day - x.day >= 7) shown.delete(key);
      await decisioning.onEvents(stored);
      // Drift → retrain: a family whose take-up moved away from its model is retrained and served.
      const retrained = retrainer?.endOfDay(day);
      if (retrained) {
        mix = mix?.over(retrained);
        decisioning.setScorer(mix ?? retrained);
      }
      if (mix && day > 0 && day % RETENTION_REFIT_DAYS === 0) {
        const answered = ownRetention.filter((x) => x.day <= day - 7);
        if (answered.length > 0) {
          ownRetention.splice(0, answered.length);
          mix = mix.learn({ r: answered.map((x) => x.churn!), y: answered.map((x) => x.label) }, `${mixVersion}+own${++refits}`);
          decisioning.setScorer(mix);
        }
      }
    },
  };
}

/**
 * A decision log for long closed-loop runs: only decisions that chose an action (the ones a
 * response can link to), and only for the last two windows of `days`, so a 2,000-customer,
 * 180-day run does not hold half a million full records (it ran out of a 4 GB heap at 90 days).
 * Responses arrive within a week, late feeds included, so a window of 8 days loses none.
 */
export class RecentDecisionLog implements DecisionLog {
  private current = new MemoryDecisionLog();
  private previous = new MemoryDecisionLog();
  private windowStart = Number.NEGATIVE_INFINITY;
  private readonly catalogues = new Map<string, unknown>();

  constructor(private readonly days = 8) {}

  async append(decision: LoggedDecision): Promise<void> {
    if (decision.chosenActions.length === 0) return;
    if (decision.decidedAt - this.windowStart >= this.days * 86_400_000) {
      this.previous = this.current;
      this.current = new MemoryDecisionLog();
      this.windowStart = decision.decidedAt;
    }
    await this.current.append(decision);
  }
  async get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined> {
    return (await this.current.get(decisionId)) ?? (await this.previous.get(decisionId));
  }
  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return [...(await this.current.listCustomer(customerId, limit)), ...(await this.previous.listCustomer(customerId, limit))].slice(0, limit);
  }
  async search(q: Parameters<DecisionLog['search']>[0]): Promise<LoggedDecision[]> {
    return [...(await this.current.search(q)), ...(await this.previous.search(q))];
  }
  async linkResponse(decisionId: string, response: LinkedResponse): Promise<boolean> {
    return (await this.current.linkResponse(decisionId, response)) || (await this.previous.linkResponse(decisionId, response));
  }
  async putCatalogue(version: string, catalogue: unknown): Promise<void> {
    this.catalogues.set(version, catalogue);
  }
  async getCatalogue(version: string): Promise<unknown> {
    return this.catalogues.get(version);
  }
  async eraseCustomer(customerId: string): Promise<number> {
    return (await this.current.eraseCustomer(customerId)) + (await this.previous.eraseCustomer(customerId));
  }
  async count(): Promise<number> {
    return (await this.current.count()) + (await this.previous.count());
  }
  async close(): Promise<void> {}
}

/**
 * The families the exploration run tries on a customer: every family the engine's catalogue
 * may offer them, so its models learn on the customers it will score. Consent applies as
 * everywhere; a held credit card or loan rules its family out (the catalogue offers no
 * second one), but holders of savings, an ISA or a pension still hear of a fixed bond, a
 * top-up or a transfer: left out, the models never saw a holder and under-predicted their
 * take-up (savings: 0.06 predicted against 0.30 taken up on the default twin, seed 3).
 */
export function explorationFamilies(view: CustomerView): ActionFamily[] {
  const held = new Set(view.holdings);
  return ACTION_FAMILIES.filter((f) => {
    if (!consentAllows(view.consents, f, view.recent.complaints)) return false;
    if ((f === 'credit_card' || f === 'personal_loan') && held.has(f)) return false;
    if (f === 'refinancing' && !held.has('mortgage') && !held.has('personal_loan')) return false;
    return true;
  });
}

/**
 * Trains one propensity model per action family from an exploration run of the twin:
 * random offers of the families the engine may make (explorationFamilies) on random channels, one customer in ten a day, outcomes read back
 * from the day's offer_response events. The trees are regularised (L2 10 on leaf weights, a
 * minimum hessian of 3 per leaf) because a family taken up a dozen times in two thousand
 * offers otherwise yields leaves that overstate take-up, and arbitration picks exactly those
 * customers (measured on the default twin, seed 1: net value +8% against L2 1, no minimum).
 * Also trains the churn model the catalogue's retention rules read (twinScores.ts).
 */
export async function trainTwinScorer(scenario: ScenarioInput, o: { days: number; seed: number; rounds?: number; maxDepth?: number; pause?: () => Promise<void> }): Promise<TrainedTwin> {
  const pending = new Map<string, LabelledOffer>();
  const samples: LabelledOffer[] = [];
  // Churn is learnt over half the run (at most 60 days), from a snapshot of each customer a week.
  const churn = new ChurnSampler({ horizonDays: Math.min(60, Math.floor(o.days / 2)), everyDays: 7 });
  const explore: NamedPolicy = {
    name: 'explore',
    decide(view: CustomerView, ctx: PolicyContext): Offer | null {
      churn.see(view, ctx.day);
      if (ctx.rng.next() >= 0.1) return null;
      const families = explorationFamilies(view);
      if (families.length === 0) return null;
      const family = families[Math.floor(ctx.rng.next() * families.length)]!;
      const channel = OFFER_CHANNELS[Math.floor(ctx.rng.next() * OFFER_CHANNELS.length)]!;
      const p = twinProfile(view, channel);
      const sample: LabelledOffer = { row: Float64Array.from(TWIN_MODEL_FEATURES, (f) => p[f] ?? Number.NaN), family: FAMILY[family], label: 0, day: ctx.day, group: customerNumber(view.customerId) };
      pending.set(`${view.customerId}|${ctx.day}`, sample);
      samples.push(sample);
      return { family, channel };
    },
  };
  const onDay = (events: BankEvent[], day: number) => {
    for (const e of events) if (e.type === 'offer_response' && e.payload.response === 'accepted') {
      const s = pending.get(`${e.customerId}|${day}`);
      if (s) s.label = 1;
    }
    pending.clear();
  };
  await runClosedLoop({ scenario, policy: explore, days: o.days, seed: o.seed, onDay, ...(o.pause && { pause: o.pause }) });
  // The churn model learns from the same run; each retention offer then carries the churn score
  // it would have been served that day (what the retention mixture learns from).
  const scores = churnScores(churn.train(o.days, o.seed));
  for (const s of samples) if (s.family === FAMILY.retention) s.churn = scores.churnOfRow?.(s.row) ?? Number.NaN;
  const models: Record<string, PropensityModel> = {};
  ACTION_FAMILIES.forEach((family, k) => {
    const rows = samples.filter((s) => s.family === k);
    if (rows.length < 50 || !rows.some((s) => s.label === 1)) return;
    models[family] = trainFamily(rows, `twin-${family}@seed${o.seed}`, { seed: o.seed, ...(o.rounds !== undefined ? { rounds: o.rounds } : {}), ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}) });
  });
  // Retention take-up by the churn score (retentionTakeUp.ts): its model and what a take-up says of leaving.
  const retention = samples.filter((s) => s.family === FAMILY.retention && Number.isFinite(s.churn));
  const gbdt = new GbdtScorer({ families: models });
  const mix = RetentionTakeUpScorer.fitted(gbdt, { r: retention.map((s) => s.churn!), y: retention.map((s) => s.label) }, `twin-retention-mix@seed${o.seed}`);
  return { scorer: mix ?? gbdt, scores: mix ? { ...scores, versions: [...scores.versions, mix.version] } : scores, samples: samples.length, accepted: samples.filter((s) => s.label === 1).length, models, exploration: samples, ...(mix && { leaverTakeUp: mix.fit }) };
}

/** What the exploration run trains: propensities per family and the scores rules read. */
export interface TrainedTwin {
  scorer: PropensityScorer;
  scores: TwinScores;
  samples: number;
  accepted: number;
  models: Record<string, PropensityModel>;
  /** The exploration run's labelled offers (what a retrain starts from). */
  exploration: LabelledOffer[];
  /** Retention take-up among stayers and leavers (none: too few retention offers or take-ups to fit). */
  leaverTakeUp?: LeaverTakeUp;
}

/**
 * Runs a policy in the closed loop and scores it on the yardstick (accepted value, and the
 * same net of contact and harm costs). The yardstick reads the twin's outcomes (was the customer
 * leaving, was the offer suitable?) only to score; the policy never sees them unless it is an oracle.
 */
export async function measureOnTwin(policy: NamedPolicy, scenario: ScenarioInput, o: { days: number; seed: number; pause?: () => Promise<void> }): Promise<TwinComparison> {
  const yardstick = new Yardstick();
  const report = await runClosedLoop({
    scenario,
    policy,
    days: o.days,
    seed: o.seed,
    ...(o.pause && { pause: o.pause }),
    // Scored from the twin's own outcomes, so a faulty feed never distorts the yardstick.
    onOffer: (x) => {
      yardstick.shown(x.offer.channel);
      if (x.accepted) yardstick.accepted(x.customerId, x.offer.family, x.leaving, x.suitable);
    },
  });
  return yardstick.report(report);
}

/** Engine vs random, rules and oracle on the same scenario and seed (the engine's models are trained on another seed). */
export async function compareOnTwin(catalogue: Catalogue, scenario: ScenarioInput, o: { days: number; seed: number; trainDays: number; engineOnly?: boolean; onProgress?: (what: string) => void }): Promise<{ reports: TwinComparison[]; training: { samples: number; accepted: number; models: string[] } }> {
  o.onProgress?.('exploration run and training');
  const trained = await trainTwinScorer(scenario, { days: o.trainDays, seed: o.seed + 1000 });
  const reports: TwinComparison[] = [];
  for (const p of [...(o.engineOnly ? [] : [REFERENCE_POLICIES.random!, REFERENCE_POLICIES.rules!, REFERENCE_POLICIES.oracle!]), enginePolicy(catalogue, trained.scorer, 'engine', trained.scores)]) {
    o.onProgress?.(p.name);
    reports.push(await measureOnTwin(p, scenario, { days: o.days, seed: o.seed }));
  }
  return { reports, training: { samples: trained.samples, accepted: trained.accepted, models: Object.values(trained.models).map((m) => m.version) } };
}
