import type { z } from 'zod';
import { EVENT_SCHEMAS, type EventType } from '../core/events.js';

/** The kind of value a field holds, as far as a feature cares. */
export type FieldKind = 'number' | 'string' | 'boolean' | 'object' | 'array' | 'other';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const d = defOf(cur);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) cur = d.innerType;
    else break;
  }
  return cur;
}

function kindOf(s: z.ZodType): FieldKind {
  const t = defOf(unwrap(s)).type;
  if (t === 'number' || t === 'int' || t === 'bigint') return 'number';
  if (t === 'string' || t === 'enum' || t === 'literal') return t === 'literal' ? 'other' : 'string';
  if (t === 'boolean') return 'boolean';
  if (t === 'object') return 'object';
  if (t === 'array') return 'array';
  return 'other';
}

/**
 * The kind of the field at a dotted path (`payload.amount.minor`) in one event type's
 * schema, or undefined when the type has no such field. Used to reject a definition
 * that names a field no source event carries.
 */
export function fieldKind(type: EventType, path: string): FieldKind | undefined {
  let cur: z.ZodType = EVENT_SCHEMAS[type] as unknown as z.ZodType;
  for (const part of path.split('.')) {
    const d = defOf(unwrap(cur));
    if (d.type !== 'object' || !d.shape || !(part in d.shape)) return undefined;
    cur = d.shape[part]!;
  }
  const t = defOf(unwrap(cur)).type;
  return t === 'literal' ? 'string' : kindOf(cur);
}

/** The field names one level under a path, for "did you mean" messages. */
export function fieldsUnder(type: EventType, path: string): string[] {
  let cur: z.ZodType = EVENT_SCHEMAS[type] as unknown as z.ZodType;
  for (const part of path === '' ? [] : path.split('.')) {
    const d = defOf(unwrap(cur));
    if (d.type !== 'object' || !d.shape || !(part in d.shape)) return [];
    cur = d.shape[part]!;
  }
  const d = defOf(unwrap(cur));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** A fast reader for a dotted path: no CEL on the hot path for plain field reads. */
export function pathReader(path: string): (event: unknown) => unknown {
  const parts = path.split('.');
  if (parts.length === 2) {
    const [a, b] = parts as [string, string];
    return (e) => (e as Record<string, Record<string, unknown> | undefined>)[a]?.[b];
  }
  if (parts.length === 3) {
    const [a, b, c] = parts as [string, string, string];
    return (e) => ((e as Record<string, Record<string, Record<string, unknown> | undefined> | undefined>)[a]?.[b] as Record<string, unknown> | undefined)?.[c];
  }
  return (e) => {
    let cur: unknown = e;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}
