/**
 * What the snapshot build reads of each event, per type: the fields its feature streams'
 * filters and values, its label matchers and the rows it keeps look at. A build from the log
 * reads only these from each stored body (bodyScan.ts) instead of parsing all of it. A rule
 * that reads `event` as a whole (indexed, iterated, passed to a function) makes its types
 * read whole.
 */
import { EVENT_TYPES, type EventType } from '../core/events.js';
import type { FeatureSet } from '../features/featureSet.js';
import { isDerived } from '../features/definition.js';
import { PLAIN_PATH } from '../features/validate.js';
import { readRule } from '../rules/index.js';
import type { EventMatcher, LabelDef } from './labels.js';
import { wantedTree, type Wanted } from './bodyScan.js';

/** Fields every row reads: its type and customer. */
const ALWAYS = ['type', 'customerId'];
/** Fields the builder reads in code besides rules: a closure's topics, a card payment's amount (snapshot.ts `isClosure`, `Builder.add`). */
const IN_CODE: Partial<Record<EventType, string[]>> = { contact_centre: ['payload.topics'], card_payment: ['payload.amount.minor'] };

/** Per event type, the tree of fields the snapshot reads (absent: read whole). */
export function snapshotReads(features: FeatureSet, labels: readonly LabelDef[]): Map<EventType, ReadonlyMap<string, Wanted>> {
  const paths = new Map<EventType, Set<string>>(EVENT_TYPES.map((t) => [t, new Set([...ALWAYS, ...(IN_CODE[t] ?? [])])]));
  const whole = new Set<EventType>();
  const add = (types: readonly string[], read: readonly string[] | 'whole') => {
    for (const t of types) {
      const set = paths.get(t as EventType);
      if (!set) continue;
      if (read === 'whole') whole.add(t as EventType);
      else for (const p of read) set.add(p);
    }
  };
  const ruleReads = (expr: string, env: 'feature' | 'training', field: string): string[] | 'whole' => {
    const r = readRule(expr, env, field);
    if (r.whole.has('event')) return 'whole';
    return r.paths.filter((p) => p.startsWith('event.')).map((p) => p.slice('event.'.length));
  };
  for (const { definition: d } of features.info) {
    if (isDerived(d)) continue;
    if (d.where !== undefined) add(d.events, ruleReads(d.where, 'feature', `${d.name}.where`));
    if (d.value !== undefined) add(d.events, PLAIN_PATH.test(d.value) ? [d.value] : ruleReads(d.value, 'feature', `${d.name}.value`));
  }
  const matcher = (m: EventMatcher | undefined) => {
    if (m?.where !== undefined) add(m.events, ruleReads(m.where, 'training', 'where'));
  };
  for (const def of labels) {
    if (def.kind === 'response') {
      matcher(def.exposure);
      matcher(def.outcome);
      // The action and channel of every exposure and outcome row.
      add([...def.exposure.events, ...def.outcome.events], [def.actionField, def.channelField]);
    } else {
      matcher(def.outcome);
      matcher(def.atRisk);
    }
  }
  const out = new Map<EventType, ReadonlyMap<string, Wanted>>();
  for (const [t, set] of paths) if (!whole.has(t)) out.set(t, wantedTree(set));
  return out;
}
