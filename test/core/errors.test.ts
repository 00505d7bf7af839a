import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, ValidationError, statusOf } from '../../src/core/errors.js';

describe('error registry', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it('documents every code with its status, in docs/errors.md', () => {
    for (const [code, { status, meaning }] of Object.entries(ERROR_CODES)) {
      expect(meaning.length, code).toBeGreaterThan(10);
      expect(doc, `docs/errors.md lacks ${code}`).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });

  it('lists no code in the docs that the registry lacks', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  it('maps validation errors to 422 with the issues', () => {
    const e = new ValidationError([{ field: 'a.b', rule: 'min', message: 'too small' }]);
    expect(e.status).toBe(422);
    expect(statusOf(e.code)).toBe(422);
    expect(e.message).toBe('a.b: too small (min)');
  });
});
