/**
 * Which readings a trigger set can look at: the measures its thresholds watch and what its
 * conditions read of `profile`, `scores` and `context.before`. The consumer computes and keeps
 * only these (a profile has ~60 features and the champions several scores; the ready-made
 * triggers read two of them), so the keys follow the set whenever it is edited or reloaded.
 */
import { ruleReads } from '../rules/index.js';
import type { CompiledTrigger, Readings } from './evaluate.js';

/** The profile features and scores a trigger set reads; `all` when some rule reads the whole map (`profile["x"]`, `size(scores)`). */
export interface ReadingKeys {
  readonly profile: ReadonlySet<string> | 'all';
  readonly scores: ReadonlySet<string> | 'all';
}

/** Every profile feature and score (a reader that is not limited). */
export const ALL_READINGS: ReadingKeys = Object.freeze({ profile: 'all', scores: 'all' });

type Side = 'profile' | 'scores';

const memo = new WeakMap<readonly CompiledTrigger[], ReadingKeys>();

/**
 * The readings `triggers` can look at, disabled triggers included (so turning one off and on
 * again does not lose its measure's last reading). Memoised per list: the trigger book hands
 * out a new list on every edit or reload.
 */
export function readingKeys(triggers: readonly CompiledTrigger[]): ReadingKeys {
  let keys = memo.get(triggers);
  if (!keys) memo.set(triggers, (keys = collect(triggers)));
  return keys;
}

function collect(triggers: readonly CompiledTrigger[]): ReadingKeys {
  const out = { profile: new Set<string>() as Set<string> | 'all', scores: new Set<string>() as Set<string> | 'all' };
  const add = (side: Side, name: string | undefined) => {
    const s = out[side];
    if (s === 'all') return;
    if (name === undefined) out[side] = 'all';
    else s.add(name);
  };
  for (const { trigger, condition } of triggers) {
    if (trigger.kind === 'threshold') {
      const dot = trigger.measure.indexOf('.');
      add(trigger.measure.slice(0, dot) as Side, trigger.measure.slice(dot + 1));
    }
    if (!condition) continue;
    const reads = ruleReads(condition);
    if (!reads) {
      // Not a program compileRule made: nothing is known of what it reads.
      add('profile', undefined);
      add('scores', undefined);
      continue;
    }
    for (const v of reads.whole) {
      if (v === 'profile' || v === 'scores') add(v, undefined);
      if (v === 'context') {
        add('profile', undefined);
        add('scores', undefined);
      }
    }
    for (const path of reads.paths) {
      const [root, a, b, c] = path.split('.');
      if (root === 'profile' || root === 'scores') add(root, a);
      else if (root === 'context' && a === 'before') {
        if (b === undefined) {
          add('profile', undefined);
          add('scores', undefined);
        } else if (b === 'profile' || b === 'scores') add(b, c);
      }
    }
  }
  return Object.freeze(out);
}

const keptLists = new WeakMap<ReadingKeys, { profile?: string[]; scores?: string[] }>();

/** The readings limited to `keys`, marked with what they kept (absent on a side: every key). */
export function keptReadings(r: Readings, keys: ReadingKeys): Readings {
  if (keys.profile === 'all' && keys.scores === 'all') return r.kept ? { profile: r.profile, scores: r.scores } : r;
  let kept = keptLists.get(keys);
  if (!kept) {
    kept = Object.freeze({ ...(keys.profile !== 'all' ? { profile: [...keys.profile].sort() } : {}), ...(keys.scores !== 'all' ? { scores: [...keys.scores].sort() } : {}) });
    keptLists.set(keys, kept);
  }
  return { profile: kept.profile ? only(r.profile, kept.profile) : r.profile, scores: kept.scores ? only(r.scores, kept.scores) : r.scores, kept };
}

function only<V>(all: Readonly<Record<string, V>>, keys: readonly string[]): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of keys) if (k in all) out[k] = all[k]!;
  return out;
}

/**
 * The "before" of a threshold check from the readings remembered for a customer. A key the
 * set reads now but the remembered readings did not keep (a trigger added since, on a measure
 * no trigger read) has no earlier value: it reads as now, so the new trigger starts watching
 * at this event and fires on the next crossing, rather than on every customer already past
 * its level. Keys the remembered readings kept are used as they are.
 */
export function rememberedBefore(remembered: Readings, after: Readings, keys: ReadingKeys): Readings {
  const kept = remembered.kept;
  if (!kept) return remembered;
  const profile = fillUntracked(remembered.profile, after.profile, kept.profile, keys.profile);
  const scores = fillUntracked(remembered.scores, after.scores, kept.scores, keys.scores);
  return profile === remembered.profile && scores === remembered.scores ? remembered : { profile, scores, kept };
}

function fillUntracked<V>(was: Readonly<Record<string, V>>, now: Readonly<Record<string, V>>, kept: readonly string[] | undefined, wanted: ReadonlySet<string> | 'all'): Readonly<Record<string, V>> {
  if (kept === undefined) return was;
  const tracked = new Set(kept);
  let out: Record<string, V> | undefined;
  for (const k of wanted === 'all' ? Object.keys(now) : wanted) {
    if (tracked.has(k) || !(k in now)) continue;
    (out ??= { ...was })[k] = now[k]!;
  }
  return out ?? was;
}
