/**
 * Finding logged decisions for reviewers (the console's decision explorer, an auditor's
 * question "what did we offer this customer last month"): one page at a time, newest first,
 * with an opaque cursor. Each row is a short listing; the whole record is one more read.
 */
import { z } from 'zod';
import { NextbestError } from '../core/errors.js';
import type { DecisionQuery, LoggedDecision } from '../store/decisionLog.js';
import { loggedExperiment } from './storedRecord.js';

export const DECISION_SEARCH_MAX = 200;

export const DecisionSearchSchema = z
  .object({
    customerId: z.string().min(1).max(128).optional(),
    actionId: z.string().min(1).max(128).optional().describe('Decisions that chose this action'),
    channel: z.string().min(1).max(64).optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Decided at or after (ISO 8601)'),
    to: z.iso.datetime({ offset: true }).optional().describe('Decided before (ISO 8601)'),
    cursor: z.string().max(300).optional().describe('`next` from the previous page'),
    limit: z.coerce.number().int().min(1).max(DECISION_SEARCH_MAX).default(50),
  })
  .strict();
export type DecisionSearch = z.infer<typeof DecisionSearchSchema>;

export const DecisionListItemSchema = z.object({
  decisionId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  decidedAt: z.string(),
  catalogueVersion: z.string(),
  chosen: z.array(z.string()).describe('The chosen action ids, in rank order'),
  heldOut: z.boolean().describe('Made under a holdout arm or the universal control'),
});
export const DecisionPageSchema = z.object({
  items: z.array(DecisionListItemSchema),
  next: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
});
export type DecisionPage = z.infer<typeof DecisionPageSchema>;

const encodeCursor = (d: LoggedDecision) => Buffer.from(JSON.stringify([d.decidedAt, d.decisionId])).toString('base64url');

function decodeCursor(cursor: string): DecisionQuery['before'] {
  try {
    const [decidedAt, decisionId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof decidedAt === 'number' && Number.isFinite(decidedAt) && typeof decisionId === 'string') return { decidedAt, decisionId };
  } catch {
    // fall through to the error below
  }
  throw new NextbestError('BAD_REQUEST', 'cursor: not a cursor this API returned (pass `next` from the previous page unchanged)');
}

/** The store query for a validated search; `from` after `to` is refused, not answered empty. */
export function decisionQuery(s: DecisionSearch): DecisionQuery {
  const from = s.from === undefined ? undefined : Date.parse(s.from);
  const to = s.to === undefined ? undefined : Date.parse(s.to);
  if (from !== undefined && to !== undefined && from > to) throw new NextbestError('BAD_REQUEST', 'from: must not be after `to`');
  return {
    ...(s.customerId !== undefined && { customerId: s.customerId }),
    ...(s.actionId !== undefined && { actionId: s.actionId }),
    ...(s.channel !== undefined && { channel: s.channel }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(s.cursor !== undefined && { before: decodeCursor(s.cursor) }),
    // One more than the page tells whether there is a next page.
    limit: s.limit + 1,
  };
}

/** One page of listings from the rows the store returned for `decisionQuery(s)`. */
export function decisionPage(rows: LoggedDecision[], limit: number): DecisionPage {
  const page = rows.slice(0, limit);
  const items = page.map((d) => {
    return {
      decisionId: d.decisionId,
      customerId: d.customerId,
      channel: d.channel,
      decidedAt: new Date(d.decidedAt).toISOString(),
      catalogueVersion: d.catalogueVersion,
      chosen: d.chosenActions,
      heldOut: loggedExperiment(d.record)?.heldOut === true,
    };
  });
  return rows.length > limit ? { items, next: encodeCursor(page[page.length - 1]!) } : { items };
}
