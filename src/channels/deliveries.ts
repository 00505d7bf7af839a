/**
 * From a decision to outbox entries: one per chosen action, on the decision's channel,
 * keyed by decision, action and channel, with the message the channel shows. Reads only the
 * fields a channel needs (the shape of decisioning's DecisionSummary), so channels/ does not
 * depend on decisioning/.
 */
import { outboxKey, type NewOutboxEntry } from '../store/outbox.js';

/** What delivery needs of a decision. */
export interface DecidedForDelivery {
  readonly decisionId: string;
  readonly customerId: string;
  readonly channel: string;
  /** ISO time of the decision. */
  readonly decidedAt: string;
  readonly chosen: readonly { readonly actionId: string; readonly headline: string; readonly body: string; readonly disclosure?: string | undefined; readonly treatment: Readonly<Record<string, string>> }[];
}

/** The outbox entries of a decision; `worklist` routes pull channels (a branch, a call-centre team), `ttlMs` expires them. */
export function deliveriesFor(d: DecidedForDelivery, o: { worklist?: string; ttlMs?: number } = {}): NewOutboxEntry[] {
  const createdAt = Date.parse(d.decidedAt);
  return d.chosen.map((c) => {
    const e: NewOutboxEntry = {
      key: outboxKey(d.decisionId, c.actionId, d.channel),
      decisionId: d.decisionId,
      actionId: c.actionId,
      customerId: d.customerId,
      channel: d.channel,
      worklist: o.worklist ?? '',
      message: { headline: c.headline, body: c.body, ...(c.disclosure !== undefined ? { disclosure: c.disclosure } : {}), treatment: { ...c.treatment } },
      createdAt,
    };
    if (o.ttlMs !== undefined) e.expiresAt = createdAt + o.ttlMs;
    return e;
  });
}
