/**
 * Stored experiments and the assignment every decision reads: CRUD over the ExperimentStore
 * with validation (nothing partial is stored; two running experiments of a layer may not
 * overlap), and a cached plan that decisions consult without touching the store, refreshed
 * on every edit here and at most every `refreshMs` of the clock (another process's edit).
 */
import type { Clock } from '../core/clock.js';
import { NextbestError, ValidationError, type FieldIssue } from '../core/errors.js';
import type { ExperimentStore, StoredExperiment } from '../store/experimentStore.js';
import type { AssignmentPlan } from './assignment.js';
import { experimentForDecision, type DecisionExperiment } from './decide.js';
import { parseExperiment, toAssignmentPlan, UniversalControlSchema, type Experiment, type UniversalControl } from './definition.js';

/** An experiment with its store bookkeeping. */
export interface ExperimentRecord {
  experiment: Experiment;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

interface Snapshot {
  plan: AssignmentPlan;
  byId: Map<string, Experiment>;
  universalControl: UniversalControl | undefined;
  readAt: number;
}

/** The audit acts of experiment edits (the engine sends them to the hash-chained trail). */
export type ExperimentAuditAction = 'experiment.create' | 'experiment.update' | 'experiment.stop' | 'experiment.delete' | 'experiment.universal_control';
export type ExperimentAudit = (act: { actor: string; action: ExperimentAuditAction; target: string; before: unknown; after: unknown }) => Promise<unknown>;

/** Who made an edit: an API key id, `cli:<user>`; `system` when unsaid. */
export interface EditedBy {
  actor?: string;
}

export class Experiments {
  private snapshot: Snapshot | undefined;

  constructor(
    private readonly store: ExperimentStore,
    private readonly clock: Clock,
    private readonly refreshMs = 1000,
    /** Hears every stored edit, with the definition before and after. */
    private readonly audit?: ExperimentAudit,
    /** Checks what the arms name exists (catalogue versions, models); the engine wires it. */
    private readonly checkArms?: (e: Experiment, prefix: string) => Promise<FieldIssue[]>,
  ) {}

  /** Every stored experiment, oldest first. */
  async list(): Promise<ExperimentRecord[]> {
    return (await this.store.list()).map(record);
  }

  /** One experiment; NOT_FOUND when absent. */
  async get(id: string): Promise<ExperimentRecord> {
    const s = await this.store.get(id);
    if (!s) throw new NextbestError('NOT_FOUND', `no experiment ${id}`);
    return record(s);
  }

  /** Stores a new experiment (CONFLICT if the id is taken); a running one gets startAt = now when absent. */
  async create(input: unknown, o: EditedBy = {}): Promise<ExperimentRecord> {
    const e = this.started(parseExperiment(input));
    await this.armsExist([e]);
    await this.checkPlan(e);
    const s = await this.store.put(e.id, e, 0, this.clock.now());
    this.snapshot = undefined;
    await this.audit?.({ actor: o.actor ?? 'system', action: 'experiment.create', target: e.id, before: null, after: { ...e, revision: s.revision } });
    return record(s);
  }

  /**
   * Stores several new experiments (a YAML import): every one is checked, against the
   * stored ones and each other, before any is stored, so a bad file stores nothing.
   */
  async createAll(inputs: readonly unknown[], o: EditedBy = {}): Promise<ExperimentRecord[]> {
    const all = inputs.map((x, i) => this.started(parseExperiment(x, `experiments.${i}`)));
    const stored = (await this.store.list()).map((s) => s.definition as Experiment);
    const issues = all.flatMap((e, i) => (stored.some((s) => s.id === e.id) || all.findIndex((x) => x.id === e.id) !== i ? [{ field: `experiments.${i}.id`, rule: 'unique', message: `experiment ${e.id} already exists` }] : []));
    if (issues.length > 0) throw new ValidationError(issues);
    await this.armsExist(all, 'experiments');
    toAssignmentPlan([...stored, ...all], await this.universalControl());
    const out: ExperimentRecord[] = [];
    for (const e of all) out.push(record(await this.store.put(e.id, e, 0, this.clock.now())));
    this.snapshot = undefined;
    for (const r of out) await this.audit?.({ actor: o.actor ?? 'system', action: 'experiment.create', target: r.experiment.id, before: null, after: { ...r.experiment, revision: r.revision } });
    return out;
  }

  /** Replaces an experiment if still at `expectedRevision` (the latest when omitted). */
  async update(id: string, input: unknown, expectedRevision?: number, o: EditedBy = {}): Promise<ExperimentRecord> {
    const e = this.started(parseExperiment(input));
    if (e.id !== id) throw new ValidationError([{ field: 'id', rule: 'matches_path', message: `the body's id ${e.id} is not ${id}` }]);
    const had = await this.get(id);
    await this.armsExist([e]);
    await this.checkPlan(e);
    const s = await this.store.put(id, e, expectedRevision ?? had.revision, this.clock.now());
    this.snapshot = undefined;
    // Stopping is the edit that ends assignment: named apart so a reviewer finds it.
    const action = e.status === 'stopped' && had.experiment.status !== 'stopped' ? 'experiment.stop' : 'experiment.update';
    await this.audit?.({ actor: o.actor ?? 'system', action, target: id, before: { ...had.experiment, revision: had.revision }, after: { ...e, revision: s.revision } });
    return record(s);
  }

  /** Deletes an experiment (its logged decisions keep their tags). */
  async remove(id: string, expectedRevision?: number, o: EditedBy = {}): Promise<void> {
    const had = await this.get(id);
    await this.store.remove(id, expectedRevision ?? had.revision);
    this.snapshot = undefined;
    await this.audit?.({ actor: o.actor ?? 'system', action: 'experiment.delete', target: id, before: { ...had.experiment, revision: had.revision }, after: null });
  }

  /** The universal control group in force, if any. */
  async universalControl(): Promise<UniversalControl | undefined> {
    const s = (await this.store.settings()) as { universalControl?: unknown } | undefined;
    return s?.universalControl === undefined ? undefined : UniversalControlSchema.parse(s.universalControl);
  }

  /** Sets the universal control group (share 0 turns it off). Changing salt or share reshuffles it. */
  async setUniversalControl(input: unknown, o: EditedBy = {}): Promise<UniversalControl> {
    const u = UniversalControlSchema.safeParse(input);
    if (!u.success) throw new ValidationError(u.error.issues.map((i) => ({ field: ['universalControl', ...i.path.map(String)].join('.'), rule: i.code, message: i.message })));
    const before = (await this.universalControl()) ?? null;
    await this.store.putSettings({ universalControl: u.data });
    this.snapshot = undefined;
    await this.audit?.({ actor: o.actor ?? 'system', action: 'experiment.universal_control', target: 'universal-control', before, after: u.data });
    return u.data;
  }

  /** The arm a customer's decision is made under now (cached plan; no store read on most calls). */
  async forDecision(customerId: string): Promise<DecisionExperiment | undefined> {
    const s = await this.current();
    return experimentForDecision(s.plan, s.byId, customerId);
  }

  /** The plan and definitions in force (for reports and the twin). */
  async current(): Promise<Snapshot> {
    const now = this.clock.now();
    if (this.snapshot && now - this.snapshot.readAt < this.refreshMs && now >= this.snapshot.readAt) return this.snapshot;
    const [all, ucg] = await Promise.all([this.store.list(), this.universalControl()]);
    const experiments = all.map((s) => s.definition as Experiment);
    // Only experiments inside their window assign; a stopped or ended one leaves its customers to the engine.
    const live = experiments.filter((e) => (e.startAt === undefined || e.startAt <= now) && (e.endAt === undefined || now < e.endAt));
    const plan = safePlan(live, ucg);
    this.snapshot = { plan, byId: new Map(experiments.map((e) => [e.id, e])), universalControl: ucg, readAt: now };
    return this.snapshot;
  }

  private started(e: Experiment): Experiment {
    return e.status === 'running' && e.startAt === undefined ? { ...e, startAt: this.clock.now() } : e;
  }

  /** Refuses arms naming a catalogue version or model that does not exist. */
  private async armsExist(es: readonly Experiment[], listPrefix?: string): Promise<void> {
    if (!this.checkArms) return;
    const issues = (await Promise.all(es.map((e, i) => this.checkArms!(e, listPrefix ? `${listPrefix}.${i}` : '')))).flat();
    if (issues.length > 0) throw new ValidationError(issues);
  }

  /** Refuses an edit that would make two running experiments of a layer overlap. */
  private async checkPlan(e: Experiment): Promise<void> {
    const others = (await this.store.list()).map((s) => s.definition as Experiment).filter((o) => o.id !== e.id);
    try {
      toAssignmentPlan([...others, e], await this.universalControl());
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError([{ field: 'buckets', rule: 'exclusive', message: `overlaps a running experiment in layer ${e.layer}: ${err.message}` }]);
    }
  }
}

/**
 * The plan of the experiments in force. Edits are checked before they are stored, but two
 * processes can each store one of two overlapping experiments at once: then the one stored
 * first keeps the buckets and the other assigns nobody, rather than every decision failing.
 */
function safePlan(live: readonly Experiment[], ucg: UniversalControl | undefined): AssignmentPlan {
  try {
    return toAssignmentPlan(live, ucg);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const kept: Experiment[] = [];
    for (const x of live) {
      try {
        toAssignmentPlan([...kept, x], ucg);
        kept.push(x);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
      }
    }
    return toAssignmentPlan(kept, ucg);
  }
}

function record(s: StoredExperiment): ExperimentRecord {
  return { experiment: s.definition as Experiment, revision: s.revision, createdAt: s.createdAt, updatedAt: s.updatedAt };
}
