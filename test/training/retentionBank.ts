/** A generated log with known retention take-up among stayers and leavers, and a churn model whose scores are known. */
import type { BankEvent } from '../../src/core/events.js';
import { mulberry32 } from '../../src/core/random.js';
import { modelToJson, type GbdtModel } from '../../src/models/gbdt/index.js';
import type { ModelRegistry } from '../../src/store/modelRegistry.js';

export const DAY = 86_400_000;
export const START = Date.parse('2025-01-01T00:00:00Z');
/** Churn score by number of complaints (0, 1, 2, 3+): the hand-made churn model below gives exactly these. */
export const CHURN_BY_COMPLAINTS = [0.02, 0.15, 0.4, 0.7];
const SHARE_BY_COMPLAINTS = [0.7, 0.15, 0.1, 0.05];
const logit = (p: number) => Math.log(p / (1 - p));

/** A churn_90d GBDT of one tree on complaints_365d: a chain of splits at 0.5, 1.5, 2.5 whose leaves give CHURN_BY_COMPLAINTS. */
export function complaintsChurnModel(): GbdtModel {
  // Nodes: 0 split 0.5 → leaf 1 | node 2; 2 split 1.5 → leaf 3 | node 4; 4 split 2.5 → leaf 5 | leaf 6.
  const leaf = (k: number) => logit(CHURN_BY_COMPLAINTS[k]!);
  const tree = {
    feature: Int32Array.from([0, -1, 0, -1, 0, -1, -1]),
    threshold: Float64Array.from([0.5, 0, 1.5, 0, 2.5, 0, 0]),
    left: Int32Array.from([1, -1, 3, -1, 5, -1, -1]),
    right: Int32Array.from([2, -1, 4, -1, 6, -1, -1]),
    defaultLeft: Uint8Array.from([1, 0, 1, 0, 1, 0, 0]),
    value: Float64Array.from([0, leaf(0), 0, leaf(1), 0, leaf(2), leaf(3)]),
    cover: Float64Array.from([7, 1, 6, 1, 5, 1, 1]),
    gain: Float64Array.from([1, 0, 1, 0, 1, 0, 0]),
  };
  return { objective: 'binary:logistic', baseMargin: 0, featureNames: ['complaints_365d'], trees: [tree], float32Inputs: false, bestIteration: 1 };
}

/** Registers the hand-made churn model as a churn_90d candidate for these feature definitions (`definitionsHash`). */
export async function registerChurnModel(register: ModelRegistry['register'], definitionsHash: string, at: string): Promise<string> {
  const window = { from: at, to: new Date(Date.parse(at) + DAY).toISOString() };
  const card = { title: 'test churn', intendedUse: 'test', outOfScope: 'test', data: { window, rows: 0, label: 'test', split: 'none' }, features: { count: 1, definitionsHash, names: ['complaints_365d'] }, metrics: {}, limitations: [], fairness: 'none' };
  const r = await register({ name: 'churn_90d', kind: 'gbdt', trainingWindow: window, features: ['complaints_365d'], definitionsHash, params: {}, metrics: {}, card, artefact: modelToJson(complaintsChurnModel()), createdAt: at });
  return r.id;
}

/**
 * A bank whose customers complain 0-3 times early on (so their churn score is one of
 * CHURN_BY_COMPLAINTS), each leaving with the chance their score says; every customer is
 * shown one loyalty offer (and half of them a savings offer) between day 60 and 170, and
 * takes the loyalty offer up at `stayers` or `leavers` by whether they are leaving.
 */
export function retentionBank(o: { customers: number; seed: number; stayers: number; leavers: number; actionId?: string }): BankEvent[] {
  const rng = mulberry32(o.seed);
  const events: BankEvent[] = [];
  let n = 0;
  for (let i = 0; i < o.customers; i++) {
    const customerId = `c${String(i).padStart(5, '0')}`;
    const head = (day: number, sec: number) => ({ eventId: `r${o.seed}-${n++}`, customerId, occurredAt: new Date(START + day * DAY + sec * 1000).toISOString(), schemaVersion: 1 as const });
    let u = rng.next();
    let k = 0;
    while (k < 3 && u >= SHARE_BY_COMPLAINTS[k]!) u -= SHARE_BY_COMPLAINTS[k++]!;
    for (let c = 0; c < k; c++) events.push({ ...head(c, 3600), type: 'contact_centre', payload: { channel: 'phone', topics: ['complaint'], sentiment: 'negative' } });
    const leaving = rng.next() < CHURN_BY_COMPLAINTS[k]!;
    const day = 60 + Math.floor(rng.next() * 110);
    const decisionId = `d${o.seed}-${i}`;
    const actionId = o.actionId ?? 'ret_loyalty_rate';
    events.push({ ...head(day, 40_000), type: 'offer_response', payload: { decisionId, actionId, channel: 'email', response: 'shown' } });
    if (rng.next() < (leaving ? o.leavers : o.stayers)) events.push({ ...head(day + 1 + Math.floor(rng.next() * 10), 40_000), type: 'offer_response', payload: { decisionId, actionId, channel: 'email', response: 'accepted' } });
    // A savings offer, always taken up: not a retention offer, so it must not count.
    if (rng.next() < 0.5) {
      events.push({ ...head(day + 2, 50_000), type: 'offer_response', payload: { decisionId: `${decisionId}s`, actionId: 'savings_easy_access', channel: 'email', response: 'shown' } });
      events.push({ ...head(day + 3, 50_000), type: 'offer_response', payload: { decisionId: `${decisionId}s`, actionId: 'savings_easy_access', channel: 'email', response: 'accepted' } });
    }
  }
  events.push({ eventId: `r${o.seed}-end`, customerId: 'c00000', occurredAt: new Date(START + 200 * DAY).toISOString(), schemaVersion: 1, type: 'login', payload: { channel: 'mobile_app' } });
  events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  return events;
}
