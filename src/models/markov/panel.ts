/**
 * Builds per-customer state sequences from a long table of (customer, period, state) rows,
 * the shape a monthly snapshot export has. Rows may come in any order; each customer's
 * periods are sorted, and a skipped period becomes a gap (no move is counted across it).
 */
import { ValidationError } from '../../core/errors.js';
import type { EncodedSequences } from './transitions.js';

/** Rows of a customer-period panel, as parallel arrays. */
export interface StatePanel {
  customer: readonly string[];
  /** Integer period index (e.g. months since some origin); see `periodIndex`. */
  period: ArrayLike<number>;
  state: readonly string[];
}

/**
 * Period label to an integer index: integers as they are; `YYYY-MM` or `YYYY-MM-DD` to
 * months since year 0 (so consecutive months differ by 1); null when not a period.
 */
export function periodIndex(label: string): number | null {
  const m = /^(\d{4})-(\d{2})(?:-\d{2})?$/.exec(label.trim());
  if (m) {
    const month = Number(m[2]);
    return month >= 1 && month <= 12 ? Number(m[1]) * 12 + month - 1 : null;
  }
  const n = Number(label);
  return label.trim() !== '' && Number.isInteger(n) ? n : null;
}

/** Groups panel rows into encoded sequences, in the given state order (other states sorted after). */
export function sequencesFromPanel(panel: StatePanel, states?: readonly string[]): EncodedSequences & { customerIds: string[] } {
  const n = panel.customer.length;
  if (panel.period.length !== n || panel.state.length !== n) {
    throw new ValidationError([{ field: 'panel', rule: 'length', message: 'customer, period and state must have the same number of rows' }]);
  }
  const order = states ? [...states] : [...new Set(panel.state)].sort();
  const code = new Map(order.map((s, i) => [s, i]));
  const rowsOf = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const c = panel.customer[i]!;
    const list = rowsOf.get(c);
    if (list) list.push(i);
    else rowsOf.set(c, [i]);
  }
  let total = 0;
  for (const rows of rowsOf.values()) {
    rows.sort((a, b) => panel.period[a]! - panel.period[b]!);
    total += panel.period[rows[rows.length - 1]!]! - panel.period[rows[0]!]! + 1;
  }
  const codes = new Int32Array(total).fill(-1);
  const offsets = new Int32Array(rowsOf.size + 1);
  const customerIds: string[] = [];
  let k = 0;
  let c = 0;
  for (const [id, rows] of rowsOf) {
    customerIds.push(id);
    offsets[c++] = k;
    const first = panel.period[rows[0]!]!;
    let previous = Number.NaN;
    for (const i of rows) {
      const p = panel.period[i]!;
      if (p === previous) {
        throw new ValidationError([{ field: `row ${i + 1}`, rule: 'unique_period', message: `customer "${id}" has two rows for period ${p}` }]);
      }
      previous = p;
      const s = code.get(panel.state[i]!);
      if (s === undefined) {
        throw new ValidationError([{ field: `row ${i + 1}`, rule: 'known_state', message: `state "${panel.state[i]}" is not one of ${order.join(', ')}` }]);
      }
      codes[k + p - first] = s;
    }
    k += previous - first + 1;
  }
  offsets[c] = k;
  return { codes, offsets, states: order, customerIds };
}
