/**
 * Which families the engine's catalogue could offer a twin customer today: the families of
 * the actions that pass the catalogue's screens (scope, validity, channel, consent,
 * eligibility, applicability, suitability, contact rules) in the engine's own evaluation.
 * The exploration run spends part of its offers there, so the propensity models learn on
 * the customers the engine will act on (issue 17: 58 of 1,056 random investment offers had
 * reached the segment the investment actions target).
 */
import { compileCatalogue, customerView, evaluate, priorOnly, type Catalogue, type CompiledCatalogue } from '../decisioning/index.js';
import type { CustomerView } from './closedLoop.js';
import { ACTION_FAMILIES, type ActionFamily, type OfferChannel } from './offers.js';
import { twinProfile } from './twinProfile.js';

/** The engine's catalogue, compiled once, as the exploration run asks it. */
export class CatalogueReach {
  private readonly cat: CompiledCatalogue;

  constructor(catalogue: Catalogue) {
    this.cat = compileCatalogue(catalogue);
  }

  /**
   * The families with an action the catalogue would let the engine offer this customer on
   * `channel` at mid-morning of `date`, before any take-up estimate: an action that passes
   * every screen but loses on value (the arbitration kind) still counts, as the engine's
   * bandit may explore it. No contact history (the exploration run is the bank's first
   * contact) and no scores (the churn model is learnt from this run): rules that read a
   * score fail closed, as in the engine.
   */
  families(view: CustomerView, channel: OfferChannel, date: string): ActionFamily[] {
    const now = Date.parse(`${date}T10:00:00Z`);
    const consents = { ...view.customer.consents, ...view.consents } as Record<string, boolean>;
    const customer = customerView({ ...view.customer, holdings: view.holdings, consents }, now);
    const inputs = { customer, profile: twinProfile(view, channel), profileVersion: 'twin', scores: {}, consents, history: { contacts: [], declines: [] }, context: {}, sessionId: null };
    const ev = evaluate(this.cat, inputs, { now, channel, levers: this.cat.catalogue.levers, scorer: priorOnly });
    const open = new Set<string>();
    for (const t of ev.traces) if (t.status !== 'excluded' || t.excludedBy?.kind === 'arbitration') open.add(t.family);
    return ACTION_FAMILIES.filter((f) => open.has(f));
  }
}

/**
 * The exploration draw: with chance `targeted` a family among those the catalogue could
 * offer (`reachable`, when any), otherwise uniformly among every family the run may try
 * (`all`), so each family still meets customers the catalogue would not target (the
 * calibration needs them). Among the reachable families each is weighted by `weight` (the
 * run gives the inverse of how often the family was reachable so far, so a family the
 * catalogue keeps for few customers, investments, gets as many targeted offers as one it
 * offers to most). Returns the family and the chance this draw gave it.
 */
export function drawExplorationFamily(all: readonly ActionFamily[], reachable: readonly ActionFamily[], targeted: number, next: () => number, weight: (f: ActionFamily) => number = () => 1): { family: ActionFamily; chance: number } {
  const inAll = reachable.filter((f) => all.includes(f));
  const share = inAll.length > 0 ? targeted : 0;
  const weights = inAll.map(weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const chanceOf = (f: ActionFamily) => (1 - share) / all.length + (inAll.includes(f) ? (share * weights[inAll.indexOf(f)]!) / total : 0);
  if (share > 0 && next() < share) {
    let u = next() * total;
    for (let k = 0; k < inAll.length; k++) {
      u -= weights[k]!;
      if (u < 0 || k === inAll.length - 1) return { family: inAll[k]!, chance: chanceOf(inAll[k]!) };
    }
  }
  const family = all[Math.floor(next() * all.length)]!;
  return { family, chance: chanceOf(family) };
}

/** How often each family was reachable in the run so far: the weights of the targeted draw. */
export class ReachCounts {
  private readonly counts = new Map<ActionFamily, number>();

  /** Counts today's reachable families and returns the weight function of the draw. */
  see(reachable: readonly ActionFamily[]): (f: ActionFamily) => number {
    for (const f of reachable) this.counts.set(f, (this.counts.get(f) ?? 0) + 1);
    return (f) => 1 / (this.counts.get(f) ?? 1);
  }
}
