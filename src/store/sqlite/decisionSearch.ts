import type { DecisionQuery, LoggedDecision } from '../decisionLog.js';
import type { SqliteDb } from './db.js';
import { readLoggedDecision, type DecisionRow } from './decisionLog.js';

/**
 * The reviewers' search over the decision log, shared by both SQLite adapters. The indexed
 * columns narrow the rows; a chosen action is matched inside the stored JSON record
 * (`$.chosen[*].actionId`), which is why the other filters and the page size bound it.
 */
export function searchDecisions(db: SqliteDb, q: DecisionQuery): LoggedDecision[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const term = (sql: string, v: string | number | undefined) => {
    if (v === undefined) return;
    where.push(sql);
    args.push(v);
  };
  term('customer_id = ?', q.customerId);
  term('channel = ?', q.channel);
  term('decided_at >= ?', q.from);
  term('decided_at < ?', q.to);
  if (q.before !== undefined) {
    where.push('(decided_at < ? OR (decided_at = ? AND decision_id < ?))');
    args.push(q.before.decidedAt, q.before.decidedAt, q.before.decisionId);
  }
  if (q.actionId !== undefined) {
    where.push("EXISTS (SELECT 1 FROM json_each(decisions.record, '$.chosen') AS c WHERE json_extract(c.value, '$.actionId') = ?)");
    args.push(q.actionId);
  }
  const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY decided_at DESC, decision_id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, q.limit) as DecisionRow[]).map(readLoggedDecision);
}
