import type { z } from 'zod';
import type { FieldIssue } from './errors.js';

/** Turns zod issues into FieldIssues: a dotted field path and a short rule name. */
export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => {
    const field = [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.');
    return { field, rule: ruleOf(i), message: messageOf(i) };
  });
}

function ruleOf(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'invalid_type':
      return isMissing(i) ? 'required' : 'type';
    case 'unrecognized_keys':
      return 'unknown_field';
    case 'invalid_union':
      return 'type';
    case 'invalid_value':
      return 'enum';
    case 'too_small':
      return 'min';
    case 'too_big':
      return 'max';
    case 'invalid_format':
      return 'format';
    case 'not_multiple_of':
      return 'multiple_of';
    case 'invalid_key':
      return 'key';
    case 'invalid_element':
      return 'element';
    case 'custom':
      return 'rule';
    default:
      return 'invalid';
  }
}

function messageOf(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_type' && isMissing(i)) return 'is required';
  if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
  if (i.code === 'invalid_union' && 'discriminator' in i && i.discriminator) return `unknown ${String(i.discriminator)}`;
  return i.message;
}

/** zod 4 leaves `input` out of issues unless asked; its message says "received undefined". */
function isMissing(i: z.core.$ZodIssue): boolean {
  return i.input === undefined && /received undefined/.test(i.message);
}
