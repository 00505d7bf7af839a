/**
 * The decisioning component: gathers a customer's inputs, runs the pure decision
 * (evaluate, select, explain), commits the contacts and logs the record, one decision per
 * customer at a time. Also replays logged decisions, edits the catalogue and the levers,
 * and hears offer responses (linked to their decision; declines start the cool-down).
 * With a CatalogueStore, every edit is a stored version and the catalogue in force follows
 * the store's current version, whichever process moved it (catalogueVersions.ts).
 */
import { randomUUID } from 'node:crypto';
import { decisionPage, decisionQuery, type DecisionPage, type DecisionSearch } from './search.js';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Customer } from '../core/customer.js';
import { NextbestError, ValidationError } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import { fieldIssues } from '../core/validate.js';
import type { ConsumerCheckpoints } from '../store/consumer.js';
import type { CatalogueStore, CatalogueVersionInfo } from '../store/catalogueStore.js';
import type { CommitResult, ContactRecord, ContactStore } from '../store/contactStore.js';
import type { DecisionLog, LoggedDecision } from '../store/decisionLog.js';
import type { NewOutboxEntry, Outbox } from '../store/outbox.js';
import { Levers as LeversSchema, OfferChannel, parseAction, parseCatalogue, type Action, type Catalogue, type Levers } from './catalogue.js';
import { CATALOGUE_REFRESH_MS, CatalogueVersions, compileStored, type CatalogueEdit, type CatalogueSync } from './catalogueVersions.js';
import { compileCatalogue, type CompiledCatalogue } from './compile.js';
import { capacityFor, capsFor, evaluate, select, type Evaluation } from './decide.js';
import { allowedAlone, BanditSettings, banditStep, decisionSeed } from './bandit.js';
import { BanditLearner, type BanditSnapshots } from './banditLearner.js';
import { buildRecord, frozenLevers, picksOf } from './buildRecord.js';
import { dryRunCatalogues, type DryRun } from './dryRun.js';
import type { EventLog } from '../store/eventLog.js';
import { evaluateCandidate, type LoggedOutcome, type OpeResult, type OpeRoundHook } from './ope.js';
import { applyArm, randomChoiceProbability, type ArmSources, type DecisionExperiment } from './experimentArm.js';
import { replayRecord, type ReplayResult } from './replay.js';
import { LoggedRecords } from './storedRecord.js';
import { KeyedMutex } from './mutex.js';
import { ResponseLinker } from './responses.js';
import { priorOnly, type FeatureValues, type PropensityScorer } from './scoring.js';
import type { ChosenAction, DecisionInputs, DecisionRecord } from './trace.js';
import type { DecisionSummarySchema } from './record.js';
import { consentsInForce, customerView } from './view.js';

export { replayRecord, sameExplanation, type ReplayResult } from './replay.js';
export { restoredRecord, storedRecord, rebuildRecord } from './storedRecord.js';
export type { DryRun, DryRunOutcome } from './dryRun.js';

/** A decision request (HTTP body, CLI flags, library call). */
export const DecideRequest = z
  .object({
    customerId: z.string().min(1).max(128),
    channel: OfferChannel,
    n: z.number().int().min(1).max(20).default(1),
    context: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'context keys are lower-case letters, digits and _'), z.union([z.string().max(200), z.number().finite(), z.boolean()])).default({}),
    sessionId: z.string().min(1).max(128).optional(),
    /** Decide among these actions or families only (a trigger's `consider`); the rest of the catalogue is excluded as `scope`. */
    only: z
      .object({
        actions: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'action ids are lower-case letters, digits and _')).max(100).default([]),
        families: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'family ids are lower-case letters, digits and _')).max(50).default([]),
      })
      .strict()
      .refine((o) => o.actions.length + o.families.length > 0, 'needs at least one action or family')
      .optional(),
    /** Write the chosen actions to the outbox for delivery on the channel (in the same transaction as the contacts). */
    deliver: z.boolean().default(false),
  })
  .strict();
export type DecideRequest = z.input<typeof DecideRequest>;

/** A checked decide request; VALIDATION_FAILED names each field and rule. */
export function parseDecideRequest(request: DecideRequest): z.output<typeof DecideRequest> {
  const plain = plainDecideRequest(request);
  if (plain) return plain;
  const parsed = DecideRequest.safeParse(request);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}

const OFFER_CHANNEL_SET: ReadonlySet<unknown> = new Set(OfferChannel.options);
const CONTEXT_KEY = /^[a-z][a-z0-9_]{0,39}$/;
const PLAIN_KEYS: ReadonlySet<string> = new Set(['customerId', 'channel', 'n', 'context', 'sessionId', 'deliver']);

/**
 * The common request (no `only`, every field well formed) checked by hand, as DecideRequest
 * would check it and with the object it would give (its fields in the schema's order, the
 * defaults filled in, the context copied): the schema costs a few microseconds a decision.
 * Anything else, a bad request above all, is left to the schema and its errors (undefined).
 */
function plainDecideRequest(r: unknown): z.output<typeof DecideRequest> | undefined {
  if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== Object.prototype) return undefined;
  for (const k in r) if (!PLAIN_KEYS.has(k)) return undefined;
  if (Reflect.ownKeys(r).length !== Object.keys(r).length) return undefined; // symbol or non-enumerable keys: the schema's call
  const { customerId, channel, n, context, sessionId, deliver } = r as Record<string, unknown>;
  if (typeof customerId !== 'string' || customerId.length < 1 || customerId.length > 128) return undefined;
  if (!OFFER_CHANNEL_SET.has(channel)) return undefined;
  if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 20)) return undefined;
  if (sessionId !== undefined ? typeof sessionId !== 'string' || sessionId.length < 1 || sessionId.length > 128 : 'sessionId' in r) return undefined;
  if (deliver !== undefined && typeof deliver !== 'boolean') return undefined;
  const ctx: Record<string, string | number | boolean> = {};
  if (context !== undefined) {
    if (typeof context !== 'object' || context === null || Object.getPrototypeOf(context) !== Object.prototype || Reflect.ownKeys(context).length !== Object.keys(context).length) return undefined;
    for (const [k, v] of Object.entries(context)) {
      if (!CONTEXT_KEY.test(k)) return undefined;
      if (typeof v === 'string' ? v.length > 200 : typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'boolean') return undefined;
      ctx[k] = v;
    }
  }
  const ch = channel as OfferChannel;
  return sessionId === undefined ? { customerId, channel: ch, n: n ?? 1, context: ctx, deliver: deliver ?? false } : { customerId, channel: ch, n: n ?? 1, context: ctx, sessionId: sessionId as string, deliver: deliver ?? false };
}

/** Where a decision reads a customer's behavioural features. */
export interface ProfileSource {
  profile(customerId: string, now: number): Promise<{ values: FeatureValues; version: string | null }>;
}

export interface DecisioningDeps {
  clock: Clock;
  customers: { get(customerId: string): Promise<Customer | undefined> };
  /** The customer's consent_change events (any time; filtered to the decision time here). */
  consentEvents: (customerId: string) => Promise<StoredEvent[]>;
  profiles?: ProfileSource;
  /** Customer-level scores rules read as `scores.*` (churn risk, financial stress …). */
  customerScores?: (customerId: string, profile: FeatureValues) => Promise<Record<string, number>> | Record<string, number>;
  contacts: ContactStore;
  log: DecisionLog;
  /** Where the response linker saves its log position (none: it replays from the start). */
  checkpoints?: ConsumerCheckpoints;
  scorer?: PropensityScorer;
  newDecisionId?: () => string;
  /** TreeSHAP contributions for the winner (default true); they can be recomputed exactly from the logged features. */
  shap?: boolean;
  /** Catalogue versions shared by every process; without it, edits live in this process only. */
  catalogues?: CatalogueStore;
  /** How often decisions check the store for another process's edit (default 1 s of the clock). */
  catalogueRefreshMs?: number;
  /** Hears each stored catalogue edit, for the audit trail (actor: the edit's author). */
  audit?: (act: { actor: string; action: 'catalogue.action.put' | 'catalogue.action.delete' | 'catalogue.replace' | 'catalogue.levers'; target: string; before: unknown; after: unknown }) => Promise<unknown>;
  /** The experiment arm a customer's decision is made under (src/experiments/decide.ts), recorded; a holdout chooses nothing. */
  experiment?: (customerId: string) => Promise<DecisionExperiment | undefined>;
  /** Whether the customer was erased (their tombstone): checked under the customer's lock before the commit, and again after the record is logged (an erasure on another instance). */
  erased?: (customerId: string) => Promise<boolean>;
  /** False when no other process decides on this store (SQLite, memory): the lock alone orders decisions and erasures, so the tombstone is not read again after logging. */
  sharedStore?: boolean;
  /** Told when a decision's contacts were committed but its record could not be logged (a write failure): the contacts were withdrawn (`retracted`) or could not be. */
  onUnloggedContacts?: (o: { decisionId: string; retracted: boolean; error: unknown }) => void;
  /** Serves the model versions a `model` arm names (registry ids by action family). */
  armModels?: ArmSources['models'];
  /** Exploration budgets per channel and how the bandit learns (docs/bandits.md); none: the deterministic engine everywhere. */
  bandit?: BanditSettings;
  /** The event log the bandit learner reads when a bandit arm enables it after start. */
  banditEvents?: Pick<EventLog, 'readAfter' | 'head'>;
  /** Where the bandit learner keeps its snapshot (absent: rebuilt from the log on start). */
  banditSnapshots?: BanditSnapshots;
  /** Where a decision asked to `deliver` writes its chosen actions (the engine wires channels/deliveries.ts). */
  delivery?: DecisionDelivery;
}

/** How a decision to be delivered becomes outbox entries, written with its contacts. */
export interface DecisionDelivery {
  readonly outbox: Outbox;
  /** The entries of a decision's chosen actions on its channel. */
  entries(d: { decisionId: string; customerId: string; channel: string; decidedAt: string; chosen: readonly ChosenAction[] }): NewOutboxEntry[];
  /** Told after entries were written (the dispatcher wakes). */
  written?(keys: readonly string[]): void;
}

/** A logged decision with its record read back. */
export type ReadDecision = Omit<LoggedDecision, 'record'> & { record: DecisionRecord };

/** What a channel needs back from a decision; the whole record stays in the decision log. */
export type DecisionSummary = z.infer<typeof DecisionSummarySchema>;

/** The summary of a decision record (`POST /v1/decisions` answers with it unless asked for the whole record). */
export function decisionSummary(r: DecisionRecord): DecisionSummary {
  const out: DecisionSummary = {
    formatVersion: r.formatVersion,
    decisionId: r.decisionId,
    customerId: r.customerId,
    channel: r.channel,
    decidedAt: r.decidedAt,
    catalogueVersion: r.catalogueVersion,
    chosen: r.chosen,
    explanation: { excludedCount: r.explanation.excluded.length },
    record: `/v1/decisions/${encodeURIComponent(r.decisionId)}`,
  };
  if (r.explanation.winner) out.explanation.winner = r.explanation.winner;
  return out;
}

import { MS_PER_DAY as DAY_MS } from '../core/clock.js';

export class Decisioning {
  private compiled: CompiledCatalogue;
  private levers: Levers;
  private readonly mutex = new KeyedMutex();
  private readonly snapshots = new Map<string, CompiledCatalogue>();
  /** Catalogue versions already in the decision log. */
  private readonly stored = new Set<string>();
  private scorer: PropensityScorer;
  private versionKeeper: CatalogueVersions | undefined;
  /** Packs records for the log and reads them back (storedRecord.ts). */
  private readonly records: LoggedRecords;
  /** Contacts of decisions whose record could not be logged, not yet withdrawn (a full disk refuses the withdrawal too), by decision id. */
  private readonly unretracted = new Map<string, { customerId: string; keys: string[] }>();
  /** Outbox entries of decisions whose record could not be logged, not yet cancelled, by decision id. */
  private readonly uncancelled = new Map<string, { keys: string[]; at: number }>();

  constructor(
    catalogue: Catalogue,
    private readonly deps: DecisioningDeps,
  ) {
    this.compiled = compileCatalogue(catalogue);
    this.levers = frozenLevers(catalogue.levers);
    this.scorer = deps.scorer ?? priorOnly;
    this.snapshots.set(this.compiled.version, this.compiled);
    this.banditSettings = deps.bandit ?? BanditSettings.parse({});
    this.records = new LoggedRecords({ log: deps.log, snapshot: (v) => this.snapshot(v) });
    // It learns only when something explores: a channel's budget now, or a bandit arm later (which enables it).
    this.bandit = new BanditLearner({
      decision: (id) => this.loggedDecision(id),
      settings: this.banditSettings,
      enabled: Object.keys(this.banditSettings.channels).length > 0,
      ...(deps.banditEvents ? { events: deps.banditEvents } : {}),
      ...(deps.banditSnapshots ? { snapshots: deps.banditSnapshots } : {}),
    });
    this.responses = new ResponseLinker({ log: deps.log, contacts: deps.contacts, familyOf: (id) => this.compiled.byId.get(id)?.action.family, ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}) });
  }

  /** Swaps the propensity models (the model lifecycle calls this when a champion changes). */
  setScorer(scorer: PropensityScorer): void {
    this.scorer = scorer;
  }

  get catalogue(): Catalogue {
    return this.compiled.catalogue;
  }

  get catalogueVersion(): string {
    return this.compiled.version;
  }

  /**
   * Decides the next best actions for a customer on a channel, logs and returns the record.
   * `decisionId` fixes the id (a trigger's fire decided again after a crash keeps its id).
   */
  async decide(request: DecideRequest, o: { decisionId?: string } = {}): Promise<DecisionRecord> {
    const now = this.deps.clock.now();
    const req = parseDecideRequest(request);
    if (req.deliver && !this.deps.delivery) throw new NextbestError('BAD_REQUEST', 'deliver: this decisioning has no outbox to deliver decisions through');
    return this.decideWith(await this.inputsFor(req, now), { channel: req.channel, n: req.n, now, deliver: req.deliver, ...(o.decisionId !== undefined ? { decisionId: o.decisionId } : {}) });
  }

  /**
   * What the catalogue in force and a candidate catalogue would each decide for these
   * requests now: nothing logged, no contact counted, the candidate not stored (the
   * console's dry run before publishing). The candidate is checked and compiled first.
   */
  async dryRun(candidate: unknown, requests: DecideRequest[]): Promise<DryRun> {
    const proposed = compileCatalogue(parseCatalogue(candidate));
    const current = this.versions.stale() ? await this.refreshCatalogue() : this.compiled;
    const now = this.deps.clock.now();
    return dryRunCatalogues(current, proposed, requests.map(parseDecideRequest), {
      now,
      scorer: this.scorer,
      inputs: (req) => this.inputsFor(req, now),
      history: (customerId, since) => this.deps.contacts.history(customerId, since),
      full: (cat, ev, channel) => this.fullCounters(cat, ev, channel, now),
    });
  }

  /** Checks and compiles a catalogue without storing it (the console validates edits as they are typed). */
  validateCatalogue(candidate: unknown): { catalogueVersion: string } {
    return { catalogueVersion: compileCatalogue(parseCatalogue(candidate)).version };
  }

  /** A decision's inputs read now: customer, consents in force, profile and scores (not the contact history, read under the lock). */
  private async inputsFor(req: z.output<typeof DecideRequest>, now: number): Promise<Omit<DecisionInputs, 'history'>> {
    // Read together (one wait, not three): an unknown customer only wastes the other two reads.
    const [customer, consentEvents, profile] = await Promise.all([this.deps.customers.get(req.customerId), this.deps.consentEvents(req.customerId), this.deps.profiles?.profile(req.customerId, now)]);
    if (!customer) throw new NextbestError('NOT_FOUND', `no customer ${req.customerId}`);
    const values = profile?.values ?? {};
    const scores = (await this.deps.customerScores?.(req.customerId, values)) ?? {};
    const inputs: Omit<DecisionInputs, 'history'> = {
      customer: customerView(customer, now),
      profile: values,
      profileVersion: profile?.version ?? null,
      scores,
      consents: consentsInForce(customer, consentEvents, req.channel, now),
      context: req.context,
      sessionId: req.sessionId ?? null,
    };
    if (req.only) inputs.only = { actions: req.only.actions, families: req.only.families };
    return inputs;
  }

  /**
   * Decides from prepared inputs (the twin and tests build them directly); the contact
   * history is read here, under the customer's lock.
   */
  async decideWith(base: Omit<DecisionInputs, 'history'> & { history?: DecisionInputs['history'] }, o: { channel: string; n: number; now: number; decisionId?: string; deliver?: boolean }): Promise<DecisionRecord> {
    if (this.unretracted.size > 0 || this.uncancelled.size > 0) await this.retryRetractions();
    const inForce = this.versions.stale() ? await this.refreshCatalogue() : this.compiled;
    const experiment = await this.deps.experiment?.(base.customer.id);
    const customerId = base.customer.id;
    const decisionId = o.decisionId ?? this.deps.newDecisionId?.() ?? `d-${randomUUID()}`;
    // Frozen: a decision holds the levers in force when it started, even if they change mid-way.
    const arm = await applyArm(experiment, { cat: inForce, levers: this.levers, scorer: this.scorer, n: o.n, decisionId }, this.armSources, frozenLevers);
    const { cat, levers, n, scorer } = arm;
    if (!this.stored.has(cat.version)) {
      await this.deps.log.putCatalogue(cat.version, cat.catalogue);
      this.stored.add(cat.version);
    }
    return this.mutex.run(customerId, async () => {
      // An erasure holds this lock while it runs: a decision that waited for it finds the tombstone.
      // The history is read beside the tombstone (one wait); it is used only if there is none.
      // On a shared store the tombstone is read after logging, which alone decides (below): not here too.
      const [erased, history] = await Promise.all([this.deps.sharedStore === true ? false : this.deps.erased?.(customerId), this.deps.contacts.history(customerId, o.now - cat.historyDays * DAY_MS)]);
      if (erased) throw new NextbestError('GONE', 'this customer was erased; no decision is made or kept for them');
      const inputs: DecisionInputs = { ...base, history };
      const evaluated = () => {
        const e = evaluate(cat, inputs, { now: o.now, channel: o.channel, levers, scorer });
        arm.reorder?.(e);
        return e;
      };
      let ev = evaluated();
      const full = await this.fullCounters(cat, ev, o.channel, o.now);
      // Exploration only among what passed every policy and check, on the channel's budget (or a bandit arm's).
      const budget = experiment?.bandit?.budget ?? this.banditSettings.channels[o.channel as keyof BanditSettings['channels']];
      // The first bandit-arm decision since start enables the learner: it builds the posteriors from the log once (later ones find it built).
      if (budget !== undefined) await this.bandit.enable();
      const explored = () => (budget !== undefined && n > 0 ? banditStep(ev, inputs, { settings: this.banditSettings, budget, view: this.bandit, seed: decisionSeed(decisionId), allowed: allowedAlone(cat, ev, inputs, { now: o.now, channel: o.channel, full }) }) : undefined);
      let bandit = explored();
      let sel = select(cat, ev, inputs, { now: o.now, channel: o.channel, n, full });
      const delivery = o.deliver ? this.deps.delivery : undefined;
      let entries: NewOutboxEntry[] = [];
      for (let attempt = 0; ; attempt++) {
        const contacts: ContactRecord[] = sel.chosen.map((i) => {
          const t = ev.traces[i]!;
          const c: ContactRecord = { decisionId, actionId: t.actionId, family: t.family, channel: o.channel, at: o.now };
          if (inputs.sessionId) c.sessionId = inputs.sessionId;
          return c;
        });
        entries = delivery ? delivery.entries({ decisionId, customerId, channel: o.channel, decidedAt: new Date(o.now).toISOString(), chosen: picksOf(cat, ev, sel.chosen, o.channel) }) : [];
        // The outbox entries go in the transaction of the contacts they count as, where the store can.
        const inCommit = entries.length > 0 && this.deps.contacts.outboxInCommit === true;
        const result = await this.deps.contacts.commit(customerId, contacts, capsFor(cat, o.channel), sel.capacity, inCommit ? entries : undefined);
        if (result.ok) {
          if (delivery && entries.length > 0) {
            if (!inCommit) await delivery.outbox.enqueue(entries);
            delivery.written?.(entries.map((e) => e.key));
          }
          break;
        }
        if (attempt >= 5) throw new NextbestError('CONFLICT', 'contact counters kept changing under this decision; retry');
        // Another process took the last slot, or contacted the customer: re-select on fresh counts.
        if (result.reason === 'capacity') {
          full.add(result.key);
          resetSelection(ev);
        } else {
          // The policies see the history the decision is logged with: evaluated again, so its record rebuilds and replays as made.
          inputs.history = await this.deps.contacts.history(customerId, o.now - cat.historyDays * DAY_MS);
          ev = evaluated();
          bandit = explored();
        }
        sel = select(cat, ev, inputs, { now: o.now, channel: o.channel, n, full });
      }
      const record = buildRecord(cat, ev, inputs, sel.chosen, { decisionId, channel: o.channel, n: o.n, now: o.now, levers, full, scorer, shap: this.deps.shap ?? true, bandit, selectN: n });
      const p = arm.reorder && o.n === 1 && sel.chosen.length === 1 ? randomChoiceProbability(cat, ev, inputs, { now: o.now, channel: o.channel, full }) : undefined;
      if (experiment) record.experiment = p === undefined ? experiment : { ...experiment, actionProbability: p };
      try {
        const packed = await this.records.pack(record);
        const recordDictionary = await this.records.dictionary(cat);
        await this.deps.log.append({ decisionId, customerId, channel: o.channel, decidedAt: o.now, catalogueVersion: cat.version, chosenActions: record.chosen.map((c) => c.actionId), record: packed, recordDictionary });
      } catch (e) {
        // No contact without its decision record: the contacts just committed are withdrawn and their capacity given back.
        const keys = sel.capacity.map((t) => t.key);
        const retracted = await this.deps.contacts.retract(customerId, decisionId, keys).then(
          () => true,
          () => false,
        );
        // Tried again before every decision and by the readiness probe until it succeeds.
        if (!retracted) this.unretracted.set(decisionId, { customerId, keys });
        // Nor a message without its decision record: the entries written with the contacts are cancelled.
        if (delivery && entries.length > 0) {
          const keys = entries.map((x) => x.key);
          // Tried again with the withdrawals until it succeeds (the instance is not ready meanwhile).
          await delivery.outbox.cancelKeys(keys, o.now, 'its decision record could not be logged').catch(() => this.uncancelled.set(decisionId, { keys, at: o.now }));
        }
        this.deps.onUnloggedContacts?.({ decisionId, retracted, error: e });
        throw e;
      }
      // The record is logged: the contacts' reservation goes (not waited for: a crash before it
      // leaves the reservation to recovery, which finds the record and drops it).
      if (sel.chosen.length > 0) this.deps.contacts.confirm?.([decisionId]).catch(() => undefined);
      // Another instance may have erased the customer after the check above (the lock is per
      // process): its tombstone is written before its deletes, so looking again now finds it,
      // and what this decision wrote is erased here rather than outliving the erasure.
      if (this.deps.sharedStore !== false && (await this.deps.erased?.(customerId))) {
        await this.responses.erase(customerId);
        if (delivery && entries.length > 0) await delivery.outbox.erase(customerId);
        throw new NextbestError('GONE', 'this customer was erased while the decision was made; nothing of it is kept');
      }
      return record;
    });
  }

  /**
   * Recovery after a crash between committing a decision's contacts and logging its record:
   * every reservation made at least `graceMs` ago (decisions still under way on other
   * instances are younger) is checked against the decision log; the contacts of a decision
   * that was never logged are retracted and their capacity given back, and the reservation
   * of one that was logged is dropped.
   */
  async recoverReservations(graceMs: number): Promise<{ retracted: number; confirmed: number }> {
    const store = this.deps.contacts;
    if (!store.reservations || !store.confirm) return { retracted: 0, confirmed: 0 };
    const out = { retracted: 0, confirmed: 0 };
    for (const r of await store.reservations(this.deps.clock.now() - graceMs)) {
      if (await this.deps.log.get(r.decisionId)) {
        await store.confirm([r.decisionId]);
        out.confirmed++;
      } else {
        // Nor a message without its record: entries written with the contacts are cancelled first.
        const outbox = this.deps.delivery?.outbox;
        if (outbox) {
          const keys = (await outbox.list({ customerId: r.customerId, limit: 10_000 })).filter((e) => e.decisionId === r.decisionId).map((e) => e.key);
          if (keys.length > 0) await outbox.cancelKeys(keys, this.deps.clock.now(), 'its decision record was never logged (the process stopped in between)');
        }
        await store.retract(r.customerId, r.decisionId, r.capacityKeys);
        out.retracted++;
      }
    }
    return out;
  }

  /** Withdraws the contacts and cancels the messages of unlogged decisions that could not be at the time; returns how many decisions still keep some. */
  async retryRetractions(): Promise<number> {
    for (const [decisionId, r] of [...this.unretracted]) {
      try {
        await this.deps.contacts.retract(r.customerId, decisionId, r.keys);
        this.unretracted.delete(decisionId);
      } catch {
        break; // the store still refuses writes: try again later
      }
    }
    for (const [decisionId, r] of [...this.uncancelled]) {
      try {
        await this.deps.delivery!.outbox.cancelKeys(r.keys, r.at, 'its decision record could not be logged');
        this.uncancelled.delete(decisionId);
      } catch {
        break;
      }
    }
    return new Set([...this.unretracted.keys(), ...this.uncancelled.keys()]).size;
  }

  /**
   * Takes a contact again for a delivery an operator retries from the dead-letter list (its
   * contact was released when it failed): checked against the caps in force now, under the
   * customer's lock, so a retry never sends past a cap another message has used since. A
   * contact still held (its release not applied) is not taken twice.
   */
  async retake(customerId: string, d: { decisionId: string; actionId: string; channel: string }, now: number): Promise<CommitResult> {
    return this.mutex.run(customerId, async () => {
      const cat = this.versions.stale() ? await this.refreshCatalogue() : this.compiled;
      const history = await this.deps.contacts.history(customerId, now - cat.historyDays * DAY_MS);
      if (history.contacts.some((c) => c.decisionId === d.decisionId && c.actionId === d.actionId && c.channel === d.channel)) return { ok: true };
      const family = cat.byId.get(d.actionId)?.action.family ?? 'unknown';
      return this.deps.contacts.commit(customerId, [{ decisionId: d.decisionId, actionId: d.actionId, family, channel: d.channel, at: now }], capsFor(cat, d.channel), []);
    });
  }

  /**
   * Runs `fn` holding the customer's decision lock, once the decisions queued before it have
   * finished. An erasure takes a turn of it after writing the tombstone: every decision that
   * might not have seen the tombstone has then finished.
   */
  exclusive<T>(customerId: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(customerId, fn);
  }

  private async fullCounters(cat: CompiledCatalogue, ev: Evaluation, channel: string, now: number): Promise<Set<string>> {
    const takes = new Map<string, number>();
    for (const i of ev.ranked) for (const t of capacityFor(cat, cat.byId.get(ev.traces[i]!.actionId)!, channel, now)) takes.set(t.key, t.max);
    if (takes.size === 0) return new Set();
    const keys = [...takes.keys()];
    const used = await this.deps.contacts.capacityUsed(keys);
    return new Set(keys.filter((k, j) => used[j]! >= takes.get(k)!));
  }

  /** A customer's logged decisions, newest first, with their records read back (experiment reports and off-policy evaluation read them). */
  async customerDecisions(customerId: string, limit: number): Promise<ReadDecision[]> {
    return Promise.all((await this.deps.log.listCustomer(customerId, limit)).map(async (d) => ({ ...d, record: await this.readRecord(d) })));
  }

  /**
   * A logged record as decide() built it, whatever form the log keeps it in: the one reader
   * of logged records (storedRecord.ts). Nothing else reads `LoggedDecision.record`.
   */
  readRecord(d: Pick<LoggedDecision, 'decisionId' | 'catalogueVersion' | 'record'>): Promise<DecisionRecord> {
    return this.records.read(d);
  }

  /** A logged decision read back, or undefined (a trigger's fire decided before a crash, the bandit learner's trials). */
  async loggedDecision(decisionId: string): Promise<ReadDecision | undefined> {
    const d = await this.deps.log.get(decisionId);
    return d ? { ...d, record: await this.readRecord(d) } : undefined;
  }

  /** One page of logged decisions matching a reviewer's search, newest first. */
  async searchDecisions(s: DecisionSearch): Promise<DecisionPage> {
    return decisionPage(await this.deps.log.search(decisionQuery(s)), s.limit);
  }

  /** A logged decision with the responses linked to it. */
  async decision(decisionId: string): Promise<DecisionRecord & { responses: { actionId: string; channel: string; response: string; at: string }[] }> {
    const d = await this.deps.log.get(decisionId);
    if (!d) throw new NextbestError('NOT_FOUND', `no decision ${decisionId}`);
    return { ...(await this.readRecord(d)), responses: d.responses.map((r) => ({ actionId: r.actionId, channel: r.channel, response: r.response, at: new Date(r.at).toISOString() })) };
  }

  /** Re-runs a logged decision from its logged inputs, catalogue and levers, and compares. */
  async replay(decisionId: string): Promise<ReplayResult> {
    const d = await this.deps.log.get(decisionId);
    if (!d) throw new NextbestError('NOT_FOUND', `no decision ${decisionId}`);
    const original = await this.readRecord(d);
    const cat = await this.snapshot(d.catalogueVersion);
    const arm = await applyArm(original.experiment, { cat, levers: original.levers, scorer: this.scorer, n: original.n, decisionId }, { ...this.armSources, catalogue: async () => cat }, (l) => l);
    return replayRecord(cat, original, arm.scorer, arm.reorder);
  }

  private get armSources(): ArmSources {
    return { catalogue: (v) => this.snapshot(v), ...(this.deps.armModels ? { models: this.deps.armModels } : {}) };
  }

  /** A catalogue version: the catalogue store's copy, else the decision log's (records from before the store). */
  private async snapshot(version: string): Promise<CompiledCatalogue> {
    const cached = this.snapshots.get(version);
    if (cached) return cached;
    const body = (await this.deps.catalogues?.get(version))?.catalogue ?? (await this.deps.log.getCatalogue(version));
    if (body === undefined) throw new NextbestError('NOT_FOUND', `catalogue version ${version} is in neither the catalogue store nor the decision log`);
    const compiled = compileStored(version, body);
    this.snapshots.set(version, compiled);
    return compiled;
  }

  /** One catalogue version (the one in force by default), for export. */
  async catalogueAt(version?: string): Promise<Catalogue> {
    return version === undefined ? (await this.refreshCatalogue({ force: true })).catalogue : (await this.snapshot(version)).catalogue;
  }

  /** Stored catalogue versions, most recent first (just the one in force without a store). */
  async catalogueVersions(limit = 100): Promise<{ current: string; versions: CatalogueVersionInfo[] }> {
    const current = (await this.refreshCatalogue({ force: true })).version;
    return { current, versions: this.deps.catalogues ? await this.deps.catalogues.list({ limit }) : [] };
  }

  /**
   * Brings the catalogue in force in step with the store (the engine calls it on start). An
   * empty store gets the catalogue this component was built with (config YAML) as its first
   * version; otherwise the stored current version wins (see CatalogueSync.seedIgnored).
   */
  async syncCatalogue(): Promise<CatalogueSync> {
    return this.versions.sync();
  }

  /** The catalogue in force, re-read from the store when the refresh interval has passed (or with `force`). */
  async refreshCatalogue(o: { force?: boolean } = {}): Promise<CompiledCatalogue> {
    await this.versions.refresh(o.force ?? false);
    return this.compiled;
  }

  /** Store reads and edits of the catalogue (made on first use: the constructor stays as it was). */
  private get versions(): CatalogueVersions {
    this.versionKeeper ??= new CatalogueVersions(this.deps.catalogues, {
      clock: this.deps.clock,
      refreshMs: this.deps.catalogueRefreshMs ?? CATALOGUE_REFRESH_MS,
      inForce: () => this.compiled,
      use: (compiled) => {
        this.compiled = compiled;
        this.levers = frozenLevers(compiled.catalogue.levers);
        this.snapshots.set(compiled.version, compiled);
      },
      snapshot: (version) => this.snapshot(version),
    });
    return this.versionKeeper;
  }

  /** Every action in the catalogue. */
  actions(): Action[] {
    return this.compiled.catalogue.actions;
  }

  /** One action, or NOT_FOUND. */
  action(id: string): Action {
    const a = this.compiled.byId.get(id);
    if (!a) throw new NextbestError('NOT_FOUND', `no action ${id}`);
    return a.action;
  }

  /** Creates or replaces an action; the whole catalogue is re-checked, recompiled and stored as a new version first. */
  async putAction(input: unknown, o: CatalogueEdit = {}): Promise<{ action: Action; created: boolean; catalogueVersion: string }> {
    const action = parseAction(input);
    let created = false;
    let prior: Action | undefined;
    const compiled = await this.versions.edit((current) => {
      prior = current.actions.find((a) => a.id === action.id);
      created = !prior;
      return { ...current, actions: created ? [...current.actions, action] : current.actions.map((a) => (a.id === action.id ? action : a)) };
    }, o);
    await this.deps.audit?.({ actor: o.author ?? 'system', action: 'catalogue.action.put', target: action.id, before: prior ?? null, after: { ...compiled.byId.get(action.id)!.action, catalogueVersion: compiled.version } });
    return { action: compiled.byId.get(action.id)!.action, created, catalogueVersion: compiled.version };
  }

  /** Removes an action (past decisions keep their catalogue snapshot). */
  async deleteAction(id: string, o: CatalogueEdit = {}): Promise<{ catalogueVersion: string }> {
    let prior: Action | undefined;
    const compiled = await this.versions.edit((current) => {
      prior = current.actions.find((a) => a.id === id);
      if (!prior) throw new NextbestError('NOT_FOUND', `no action ${id}`);
      const next = current.actions.filter((a) => a.id !== id);
      if (next.length === 0) throw new ValidationError([{ field: 'actions', rule: 'min', message: 'the catalogue must keep at least one action' }]);
      return { ...current, actions: next };
    }, o);
    await this.deps.audit?.({ actor: o.author ?? 'system', action: 'catalogue.action.delete', target: id, before: prior ?? null, after: { catalogueVersion: compiled.version } });
    return { catalogueVersion: compiled.version };
  }

  /** Replaces the whole catalogue, levers included (checked, compiled and stored before it takes effect); returns its version. */
  async replaceCatalogue(input: unknown, o: CatalogueEdit = {}): Promise<string> {
    let before: string | undefined;
    const { version } = await this.versions.edit(() => {
      before = this.compiled.version; // the edit runs on the version in force
      return input;
    }, o);
    await this.deps.audit?.({ actor: o.author ?? 'system', action: 'catalogue.replace', target: 'catalogue', before: before ? { catalogueVersion: before } : null, after: { catalogueVersion: version } });
    return version;
  }

  /** The business levers in force. */
  getLevers(): Levers {
    return structuredClone(this.levers);
  }

  /** Replaces the levers at run time (weights per family and per action, 0-100): a new catalogue version, as levers are part of it. */
  async setLevers(input: unknown, o: CatalogueEdit = {}): Promise<Levers> {
    const parsed = LeversSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error, 'levers'));
    let before: Levers | undefined;
    const compiled = await this.versions.edit((current) => {
      before = current.levers;
      return { ...current, levers: parsed.data };
    }, o);
    await this.deps.audit?.({ actor: o.author ?? 'system', action: 'catalogue.levers', target: 'levers', before: before ?? null, after: { ...compiled.catalogue.levers, catalogueVersion: compiled.version } });
    return structuredClone(compiled.catalogue.levers);
  }

  private readonly banditSettings: BanditSettings;
  /** The log consumer that learns the bandit's posteriors and session tallies from offer responses. */
  readonly bandit: BanditLearner;

  /** The log consumer that links responses and records declines (the engine runs it after events are durable). */
  readonly responses: ResponseLinker;

  /** Applies stored events at once (simulations and tests; the engine runs `responses` as a log consumer). */
  async onEvents(events: readonly StoredEvent[]): Promise<void> {
    await this.responses.apply(events);
    await this.bandit.apply(events);
  }

  /** A customer's logged decisions (newest first) with explanations and linked responses, and their contacts and declines: for their Art. 15 export. */
  async customerData(customerId: string): Promise<{ decisions: unknown[]; contacts: Awaited<ReturnType<ContactStore['history']>> }> {
    const logged = await this.deps.log.listCustomer(customerId, Number.MAX_SAFE_INTEGER);
    // A record that no longer reads back (its catalogue version gone) is exported as stored, said so.
    const decisions = await Promise.all(logged.map((d) => this.decision(d.decisionId).catch((e: unknown) => ({ decisionId: d.decisionId, unreadable: (e as Error).message, stored: d.record }))));
    return { decisions, contacts: await this.deps.contacts.history(customerId, 0) };
  }

  /** Off-policy evaluation of a candidate (catalogue, levers or bandit) on logged decisions (src/decisioning/ope.ts). */
  async offPolicy(request: unknown, outcomes: AsyncIterable<LoggedOutcome> | Iterable<LoggedOutcome>, onRound?: OpeRoundHook): Promise<OpeResult> {
    return evaluateCandidate({ snapshot: (v) => this.snapshot(v), scorer: this.scorer, ...(this.deps.armModels ? { models: this.deps.armModels } : {}), view: this.bandit, settings: this.banditSettings, now: this.deps.clock.now() }, request, outcomes, onRound);
  }

  /** GDPR erasure: the customer's decisions, contacts and declines. */
  async onErase(customerId: string): Promise<void> {
    await this.responses.erase(customerId);
    await this.bandit.erase(customerId);
  }
}

function resetSelection(ev: Evaluation): void {
  for (const i of ev.ranked) {
    const t = ev.traces[i]!;
    t.status = 'ranked';
    delete t.excludedBy;
  }
}
