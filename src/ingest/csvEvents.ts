import type { z } from 'zod';
import { EVENT_SCHEMAS, type BankEvent, type EventType } from '../core/events.js';
import type { FieldIssue } from '../core/errors.js';

/**
 * Events as flat CSV. Columns are the envelope (`eventId,customerId,type,occurredAt,
 * schemaVersion`) then one column per payload field, dotted (`payload.amount.minor`).
 * A row fills the columns of its type and leaves the rest empty; arrays are joined
 * with `|`. Values are typed back from the event type's schema, so a merchant category
 * code stays the string "0742" and an amount becomes a number.
 */

type Kind = 'string' | 'number' | 'boolean' | 'array';

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s as z.ZodType & { _zod: { def: { type: string; innerType?: z.ZodType } } };
  while (['optional', 'default', 'nullable', 'prefault'].includes(cur._zod.def.type) && cur._zod.def.innerType) {
    cur = cur._zod.def.innerType as typeof cur;
  }
  return cur;
}

function leaves(schema: z.ZodType, prefix: string, out: Map<string, Kind>): void {
  const s = unwrap(schema) as z.ZodType & { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; values?: unknown[] } } };
  const t = s._zod.def.type;
  if (t === 'object') {
    for (const [k, v] of Object.entries(s._zod.def.shape ?? {})) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (t === 'number' || t === 'int') out.set(prefix, 'number');
  else if (t === 'boolean') out.set(prefix, 'boolean');
  else if (t === 'array') out.set(prefix, 'array');
  else if (t === 'literal') out.set(prefix, typeof (s._zod.def.values ?? [])[0] === 'number' ? 'number' : 'string');
  else out.set(prefix, 'string');
}

const KINDS = new Map<EventType, Map<string, Kind>>();
for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) {
  const m = new Map<string, Kind>();
  leaves(schema as z.ZodType, '', m);
  KINDS.set(type as EventType, m);
}

const ENVELOPE = ['eventId', 'customerId', 'type', 'occurredAt', 'schemaVersion'];

/** The full header: the envelope, then every payload field of every type, sorted. */
export const EVENT_CSV_HEADER: readonly string[] = [
  ...ENVELOPE,
  ...[...new Set([...KINDS.values()].flatMap((m) => [...m.keys()].filter((k) => k.startsWith('payload.'))))].sort(),
];

/**
 * What is wrong with a CSV header, checked before any row: a missing envelope column, a
 * column no event type has, or one named twice would otherwise reject every row alike.
 */
export function csvHeaderIssues(header: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const missing = ENVELOPE.filter((c) => !header.includes(c));
  if (missing.length > 0) issues.push({ field: 'header', rule: 'csv_header', message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  const unknown = header.filter((c) => !COLUMN_INDEX.has(c));
  if (unknown.length > 0) issues.push({ field: 'header', rule: 'csv_header', message: `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')} (docs/events.md lists the columns)` });
  const twice = [...new Set(header.filter((c, i) => header.indexOf(c) !== i))];
  if (twice.length > 0) issues.push({ field: 'header', rule: 'csv_header', message: `column${twice.length > 1 ? 's' : ''} ${twice.join(', ')} named more than once` });
  return issues;
}

const COLUMN_INDEX = new Map(EVENT_CSV_HEADER.map((c, i) => [c, i]));

function quote(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function flatten(value: unknown, prefix: string, row: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    const i = COLUMN_INDEX.get(prefix);
    if (i !== undefined) row[i] = quote(value.join('|'));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, row);
  } else {
    const i = COLUMN_INDEX.get(prefix);
    if (i !== undefined) row[i] = quote(String(value));
  }
}

/** One event as a CSV line under EVENT_CSV_HEADER (no line ending). */
export function eventToCsvLine(event: BankEvent): string {
  const row = new Array<string>(EVENT_CSV_HEADER.length).fill('');
  flatten(event, '', row);
  return row.join(',');
}

/**
 * Builds the raw event object from a CSV row (any column order; unknown columns are
 * kept so validation names them). The result still goes through the event schema.
 */
export function csvRowToEvent(header: readonly string[], row: readonly string[]): Record<string, unknown> {
  const typeIdx = header.indexOf('type');
  const type = typeIdx >= 0 ? row[typeIdx] : undefined;
  const kinds = type ? KINDS.get(type as EventType) : undefined;
  const out: Record<string, unknown> = {};
  header.forEach((col, i) => {
    const cell = row[i];
    if (cell === undefined || cell === '') return;
    const kind = kinds?.get(col) ?? (col === 'schemaVersion' ? 'number' : 'string');
    setPath(out, col.split('.'), coerce(cell, kind));
  });
  return out;
}

function coerce(cell: string, kind: Kind): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(cell);
      return cell.trim() !== '' && Number.isFinite(n) ? n : cell;
    }
    case 'boolean':
      return cell === 'true' ? true : cell === 'false' ? false : cell;
    case 'array':
      return cell.split('|');
    case 'string':
      return cell;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return;
    const next = cur[k];
    if (next === undefined || typeof next !== 'object' || next === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
  cur[last] = value;
}
