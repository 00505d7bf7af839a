/**
 * The decision record as the decision log stores it: what the decision was made from and
 * what no later code can recompute, not what it derived. A record as decide() returns it is
 * 10-20 KB (every candidate's trace, every exclusion's reason, the winner's reason codes and
 * sentence); stored compactly it keeps
 * - references: the catalogue version (its snapshot is in the catalogue store) and, per
 *   scored action, the model version and the propensity the model gave;
 * - the inputs, with the profile as a list of values under a reference to its feature names
 *   (stored once per distinct list, `profileKeysRef`);
 * - the top TreeSHAP contributions of the winner (the model may be retired later);
 * - the levers, the capacity keys found full, the chosen action ids, the experiment arm, and
 *   any field a newer decide() adds that this module does not know how to derive.
 * Reading it back re-runs the pure decision (evaluate, the arm's or the bandit's order,
 * select, explain) on the catalogue snapshot with the logged propensities and contributions
 * in place of the models: the record comes back byte for byte as decide() built it (golden
 * tests), and a chosen list that does not come back the same is an error, never a silent
 * rewrite. `LoggedRecords.read` is the one reader of logged records: the decision API,
 * replay, exports, experiment reports, off-policy evaluation and the bandit learner all go
 * through it (the decision search reads the indexed `chosenActions` column instead).
 */
import { createHash } from 'node:crypto';
import { NextbestError } from '../core/errors.js';
import { CHANNEL_NAMES } from '../core/channels.js';
import { ConsentPurpose } from '../core/events.js';
import type { DecisionLog, LoggedDecision } from '../store/decisionLog.js';
import { remakeRecord } from './buildRecord.js';
import type { ActionVars, CompiledCatalogue } from './compile.js';
import type { Evaluation } from './decide.js';
import { randomOrder } from './experimentArm.js';
import type { Contribution, FeatureValues, PropensityScore, PropensityScorer } from './scoring.js';
import type { DecisionInputs, DecisionRecord, Explanation } from './trace.js';

/**
 * The stored encoding's version (the record format seen by the API stays DECISION_FORMAT_VERSION).
 * 3: the contact history grouped by decision (decision 0023); 2 (read as well): as columns.
 */
export const STORED_DECISION_FORMAT = 3 as const;
const READABLE_FORMATS: ReadonlySet<unknown> = new Set([2, STORED_DECISION_FORMAT]);

/** The fields of a record that are derived from the others and rebuilt when it is read. */
const DERIVED = ['signals', 'models', 'candidates', 'chosen', 'explanation'] as const;
const DERIVED_KEYS: ReadonlySet<string> = new Set(DERIVED);

/** A decision record as the log keeps it. */
export interface StoredDecision {
  stored: typeof STORED_DECISION_FORMAT | 2;
  /** The record's own fields but the derived ones, in their order; `inputs.profile` as values. */
  record: Record<string, unknown> & { inputs: Omit<DecisionInputs, 'profile'> & { profile: (number | null)[] } };
  /** The names of `inputs.profile`'s values: a reference to a list stored once (`profileKeysFor`). */
  profileKeysRef: string;
  /** Model scores: [model version ('' when the trace does not name it), propensity, action ids]. */
  scored: [string, number, string[]][];
  /** The winner's raw top contributions [feature, value, contribution]; `noDrivers` when the model moved no feature. */
  shap?: { top: [string, number | null, number][]; noDrivers?: true };
  chosenIds: string[];
}

/** Whether a logged record is in the compact form. */
export function isStoredDecision(x: unknown): x is StoredDecision {
  return typeof x === 'object' && x !== null && READABLE_FORMATS.has((x as { stored?: unknown }).stored);
}

/** The key under which a list of profile feature names is kept (content-addressed). */
export function profileKeysRef(keys: readonly string[]): string {
  return `profile-keys:${createHash('sha256').update(keys.join('\n')).digest('base64url').slice(0, 22)}`;
}

/**
 * The text that primes the compression of a catalogue's stored records (decision 0023): the
 * stored format's field names, the catalogue's action ids with their families, the channels
 * and the consent purposes, spelt as a record spells them. Deflate finds a record's first
 * mention of each here instead of paying its letters (about a quarter of a compressed
 * record). Nothing about any customer, so erasure never has to reach it. The log keeps it
 * once, by its content hash (`recordDictionaryRef`), and each row names the one it used.
 */
export function recordDictionary(cat: CompiledCatalogue): string {
  const actions = cat.catalogue.actions.map((a) => `${JSON.stringify(a.id)},${JSON.stringify(a.family)}`).join(',');
  const template = {
    stored: STORED_DECISION_FORMAT,
    record: {
      formatVersion: 1,
      decisionId: 'd-',
      customerId: '',
      channel: '',
      n: 1,
      decidedAt: '',
      catalogueVersion: cat.version,
      levers: { families: {}, actions: {} },
      inputs: {
        customer: { id: '', age: 0, resident: true, country: 'GB', timeZone: 'Europe/London', riskTolerance: 'low', riskLevel: 1, sophistication: 'novice', novice: true, vulnerable: false, vulnerabilityFlags: [], holdings: [], tenureDays: 0, segment: 'all', horizon: 'short', attributes: {} },
        profile: [],
        profileVersion: '',
        scores: {},
        consents: Object.fromEntries(ConsentPurpose.options.map((p) => [p, true])),
        context: {},
        sessionId: null,
        history: { contacts: { groups: [] }, declines: { cols: ['actionId', 'family', 'at'], rows: [] } },
      },
      capacityRefused: [],
    },
    profileKeysRef: 'profile-keys:',
    scored: [],
    chosenIds: [],
    shap: { top: [] },
  };
  return `${CHANNEL_NAMES.map((c) => JSON.stringify(c)).join(',')},${actions},null,${JSON.stringify(template)}`;
}

/** The name a record dictionary is kept under in the log (content-addressed). */
export function recordDictionaryRef(text: string): string {
  return `record-dictionary:${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}

/** Remembers the refs of the key lists seen, so the hash runs once per distinct list. */
export class ProfileKeyRefs {
  private readonly refs = new Map<string, string>();
  /** The last list seen and its ref: profiles from one feature set come in the same order, so most decisions stop here. */
  private last: { keys: string[]; ref: string } | undefined;
  /** The ref of a profile's feature names, and the names. */
  refOf(profile: FeatureValues): { ref: string; keys: string[] } {
    const last = this.last;
    if (last) {
      let i = 0;
      for (const k in profile) {
        if (last.keys[i] !== k) break;
        i++;
      }
      if (i === last.keys.length && i === Object.keys(profile).length) return last;
    }
    const keys = Object.keys(profile);
    const joined = keys.join('\n');
    let ref = this.refs.get(joined);
    if (!ref) {
      // Bounded: profiles from one feature set share one list; anything else is hashed again.
      if (this.refs.size >= 1000) this.refs.clear();
      this.refs.set(joined, (ref = profileKeysRef(keys)));
    }
    this.last = { keys, ref };
    return this.last;
  }
}

/** The compact form of a record decide() built. */
export function packRecord(r: DecisionRecord, keysRef: string): StoredDecision {
  const record: Record<string, unknown> = {};
  for (const k in r) if (!DERIVED_KEYS.has(k)) record[k] = r[k as keyof DecisionRecord];
  record.inputs = { ...r.inputs, profile: Object.values(r.inputs.profile), ...(r.inputs.history && { history: packHistory(r.inputs.history) }) };
  // Actions sharing a model share its score: one entry per (version, propensity), in first-seen order.
  // A version's entries are few (one per distinct score: usually one model, one row), so
  // they are scanned; equal as a Map's keys would be (NaN equals NaN, 0 equals -0).
  const scored: [string, number, string[]][] = [];
  const byVersion = new Map<string, [string, number, string[]][]>();
  for (const c of r.candidates) {
    const p = c.propensity;
    if (c.propensitySource !== 'model' || p === undefined) continue;
    const version = c.modelVersion ?? '';
    let same = byVersion.get(version);
    if (!same) byVersion.set(version, (same = []));
    let g: [string, number, string[]] | undefined;
    for (const e of same) {
      if (e[1] === p || (e[1] !== e[1] && p !== p)) {
        g = e;
        break;
      }
    }
    if (g) g[2].push(c.actionId);
    else {
      const entry: [string, number, string[]] = [version, p, [c.actionId]];
      same.push(entry);
      scored.push(entry);
    }
  }
  const out: StoredDecision = { stored: STORED_DECISION_FORMAT, record: record as StoredDecision['record'], profileKeysRef: keysRef, scored, chosenIds: r.chosen.map((c) => c.actionId) };
  const w = r.explanation.winner;
  if (w) {
    const noDrivers = w.reasonCodes.some((c) => c.code === 'MODEL_NO_DRIVERS');
    if (noDrivers || w.topContributions.length > 0) out.shap = { top: w.topContributions.map((c) => [c.feature, c.value, c.contribution]), ...(noDrivers ? { noDrivers: true as const } : {}) };
  }
  return out;
}

/** What a stored decision unpacks to: its own fields and a scorer that gives back the logged scores. */
export interface UnpackedDecision {
  record: Omit<DecisionRecord, (typeof DERIVED)[number]>;
  scorer: PropensityScorer;
  chosenIds: string[];
}

/** A compactly stored record rebuilt on its catalogue snapshot with its logged scores: decide()'s record, byte for byte. */
export function rebuildRecord(cat: CompiledCatalogue, u: UnpackedDecision): DecisionRecord {
  const r = u.record;
  // A random arm's shuffle, then the bandit's logged draw.
  const reorder = r.experiment?.treatment?.policy === 'random' ? (ev: Evaluation) => randomOrder(ev, r.decisionId) : undefined;
  const rebuilt = remakeRecord(cat, r, { scorer: u.scorer, shap: true, reorder, bandit: r.bandit });
  return completeRebuilt(rebuilt, u);
}

/**
 * A list of flat objects with the same keys in the same order, as columns: `{ cols, rows }`
 * (the contact history repeats `decisionId`, `actionId`, `family`, `channel`, `at` for every
 * contact: a third of a packed record). A list that is not uniform is kept as it is.
 */
interface Columns {
  cols: string[];
  rows: unknown[][];
}
function toColumns(list: unknown): unknown {
  if (!Array.isArray(list) || list.length === 0) return list;
  const first = list[0] as Record<string, unknown>;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return list;
  const cols = Object.keys(first);
  const rows: unknown[][] = [];
  for (const o of list as Record<string, unknown>[]) {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return list;
    const keys = Object.keys(o);
    if (keys.length !== cols.length || keys.some((k, i) => k !== cols[i] || o[k] === undefined)) return list; // JSON drops an undefined field: kept as it is
    rows.push(cols.map((k) => o[k]));
  }
  return { cols, rows } satisfies Columns;
}
function fromColumns(x: unknown): unknown {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
  const { cols, rows } = x as Columns;
  return rows.map((row) => {
    const o: Record<string, unknown> = {};
    cols.forEach((k, i) => (o[k] = row[i]));
    return o;
  });
}
/**
 * The contacts grouped by the decision that made them: a decision's n contacts share its id,
 * channel, time and session, and the id is the one part of a record no compressor shrinks
 * (122 random bits). A group is [decisionId, channel, at, sessionId or null, then actionId,
 * family for each contact], consecutive contacts only, so the order comes back as it was. Only
 * for contacts with exactly the keys decide() reads from the store, in its order; any other
 * list is kept as columns or as it is.
 */
const CONTACT_KEYS = 'decisionId,actionId,family,channel,at';
type ContactGroup = [decisionId: string, channel: string, at: number, sessionId: string | null, ...actionsAndFamilies: string[]];
function toGroups(list: unknown): { groups: ContactGroup[] } | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const groups: ContactGroup[] = [];
  let last: ContactGroup | undefined;
  for (const o of list as Record<string, unknown>[]) {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
    const keys = Object.keys(o).join(',');
    const session = keys === CONTACT_KEYS ? null : keys === `${CONTACT_KEYS},sessionId` && typeof o.sessionId === 'string' ? o.sessionId : undefined;
    const { decisionId, actionId, family, channel, at } = o;
    if (session === undefined || typeof decisionId !== 'string' || typeof actionId !== 'string' || typeof family !== 'string' || typeof channel !== 'string' || typeof at !== 'number') return undefined;
    if (last && last[0] === decisionId && last[1] === channel && Object.is(last[2], at) && last[3] === session) last.push(actionId, family);
    else groups.push((last = [decisionId, channel, at, session, actionId, family]));
  }
  return { groups };
}
function fromGroups(groups: ContactGroup[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const g of groups) {
    for (let i = 4; i < g.length; i += 2) out.push({ decisionId: g[0], actionId: g[i], family: g[i + 1], channel: g[1], at: g[2], ...(g[3] !== null && { sessionId: g[3] }) });
  }
  return out;
}
/** The contact history with its contacts grouped by decision and its declines as columns; other fields as they are, in their order. */
function packHistory(h: DecisionInputs['history']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = k === 'contacts' ? (toGroups(v) ?? toColumns(v)) : k === 'declines' ? toColumns(v) : v;
  return out;
}
function unpackHistory(h: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    const grouped = k === 'contacts' && typeof v === 'object' && v !== null && 'groups' in v;
    out[k] = grouped ? fromGroups((v as { groups: ContactGroup[] }).groups) : k === 'contacts' || k === 'declines' ? fromColumns(v) : v;
  }
  return out;
}

/** Unpacks a stored decision; `keys` is the list `profileKeysRef` names. */
export function unpackRecord(s: StoredDecision, keys: readonly string[]): UnpackedDecision {
  const values = s.record.inputs.profile;
  if (keys.length !== values.length) throw new NextbestError('INTERNAL', `decision ${String(s.record.decisionId)}: its profile has ${values.length} values but ${s.profileKeysRef} names ${keys.length}`);
  const profile: Record<string, number | null> = {};
  keys.forEach((k, i) => (profile[k] = values[i]!));
  const inputs = s.record.inputs as unknown as Record<string, unknown>;
  const record = { ...s.record, inputs: { ...inputs, profile, ...(inputs.history !== undefined && { history: unpackHistory(inputs.history as Record<string, unknown>) }) } } as unknown as UnpackedDecision['record'];
  return { record, scorer: loggedScorer(s), chosenIds: s.chosenIds };
}

/** The models as they scored at decision time: each scored action's logged propensity, the winner's logged contributions. */
function loggedScorer(s: StoredDecision): PropensityScorer {
  const byAction = new Map<string, PropensityScore>();
  for (const [version, propensity, ids] of s.scored) for (const id of ids) byAction.set(id, { propensity, modelVersion: version });
  const top: Contribution[] = s.shap?.noDrivers ? [{ feature: '', value: null, contribution: 0 }] : (s.shap?.top ?? []).map(([feature, value, contribution]) => ({ feature, value, contribution }));
  return {
    score: (a: ActionVars) => byAction.get(a.id),
    explain: (_a: ActionVars, _rows: unknown, k: number) => top.slice(0, k),
    versionFor: (a: ActionVars) => byAction.get(a.id)?.modelVersion || undefined,
  };
}

/** Appends the fields a rebuilt record lacks (experiment, anything newer) in their stored order, and checks the choice came back the same. */
export function completeRebuilt(rebuilt: DecisionRecord, u: UnpackedDecision): DecisionRecord {
  const got = rebuilt.chosen.map((c) => c.actionId);
  if (got.join(',') !== u.chosenIds.join(',')) {
    throw new NextbestError('INTERNAL', `decision ${rebuilt.decisionId} does not rebuild: it chose ${u.chosenIds.join(',') || 'nothing'}, the rebuild ${got.join(',') || 'nothing'} (the decision code changed since it was logged)`);
  }
  const out = rebuilt as DecisionRecord & Record<string, unknown>;
  for (const [k, v] of Object.entries(u.record)) if (!(k in out)) out[k] = v;
  return out;
}

/** The experiment arm a logged record was decided under, in any stored form, without rebuilding it. */
export function loggedExperiment(record: unknown): DecisionRecord['experiment'] {
  const r = isStoredDecision(record) ? record.record : (record as Partial<DecisionRecord> | null);
  return (r?.experiment ?? undefined) as DecisionRecord['experiment'];
}

/**
 * Logged records, both ways: `pack` gives the compact form to log (its profile's feature
 * names stored once, under their content address, before the first record that refers to
 * them); `read` gives back the record decide() built, from any stored form.
 */
export class LoggedRecords {
  private readonly keyRefs = new ProfileKeyRefs();
  /** Feature-name lists known to be in the log (or being written), by ref; bounded. */
  private readonly keyLists = new Map<string, Promise<readonly string[]>>();
  /** The record dictionary of each catalogue version, once in the log (or being written); bounded. */
  private readonly dictionaries = new Map<string, Promise<string>>();

  constructor(private readonly deps: { log: Pick<DecisionLog, 'putCatalogue' | 'getCatalogue'>; snapshot: (version: string) => Promise<CompiledCatalogue> }) {}

  /** The compact form of a record, once the feature names it refers to are in the log. */
  async pack(record: DecisionRecord): Promise<StoredDecision> {
    const keys = this.keyRefs.refOf(record.inputs.profile);
    let stored = this.keyLists.get(keys.ref);
    if (!stored) {
      if (this.keyLists.size >= 1000) this.keyLists.clear(); // a second put of a list is ignored
      this.keyLists.set(keys.ref, (stored = this.deps.log.putCatalogue(keys.ref, keys.keys).then(() => keys.keys)));
      stored.catch(() => this.keyLists.delete(keys.ref));
    }
    await stored;
    return packRecord(record, keys.ref);
  }

  /** The name of the dictionary that primes the compression of `cat`'s records, once it is in the log. */
  dictionary(cat: CompiledCatalogue): Promise<string> {
    let ref = this.dictionaries.get(cat.version);
    if (!ref) {
      const text = recordDictionary(cat);
      const name = recordDictionaryRef(text);
      if (this.dictionaries.size >= 1000) this.dictionaries.clear(); // a second put is ignored
      this.dictionaries.set(cat.version, (ref = this.deps.log.putCatalogue(name, text).then(() => name)));
      ref.catch(() => this.dictionaries.delete(cat.version));
    }
    return ref;
  }

  /** A logged record as decide() built it, whatever form the log keeps it in. */
  async read(d: Pick<LoggedDecision, 'decisionId' | 'catalogueVersion' | 'record'>): Promise<DecisionRecord> {
    if (!isStoredDecision(d.record)) return restoredRecord(d.record as DecisionRecord);
    const ref = d.record.profileKeysRef;
    let keys = this.keyLists.get(ref);
    if (!keys) {
      keys = this.deps.log.getCatalogue(ref).then((k) => {
        if (!Array.isArray(k)) throw new NextbestError('NOT_FOUND', `decision ${d.decisionId} names profile features ${ref}, which the decision log does not hold`);
        return k as string[];
      });
      if (this.keyLists.size >= 1000) this.keyLists.clear();
      this.keyLists.set(ref, keys);
      keys.catch(() => this.keyLists.delete(ref));
    }
    return rebuildRecord(await this.deps.snapshot(d.catalogueVersion), unpackRecord(d.record, await keys));
  }
}

/**
 * The format the log used before the compact one: the whole record without
 * `explanation.excluded` (restoredRecord rebuilds it). Kept to read those rows.
 */
export function storedRecord(r: DecisionRecord): DecisionRecord {
  const explanation: Partial<Explanation> = { ...r.explanation };
  delete explanation.excluded;
  return { ...r, explanation: explanation as Explanation };
}

/** A record stored whole or without `explanation.excluded`, as decide() built it. */
export function restoredRecord(r: DecisionRecord): DecisionRecord {
  if (r.explanation.excluded) return r;
  const excluded = r.candidates.filter((t) => t.status === 'excluded' && t.excludedBy).map((t) => ({ actionId: t.actionId, kind: t.excludedBy!.kind, rule: t.excludedBy!.rule, reason: t.excludedBy!.reason }));
  // `excluded` first, as explain() builds it, so the JSON reads the same as the decision's own.
  return { ...r, explanation: { excluded, ...(r.explanation as Omit<Explanation, 'excluded'>) } };
}
