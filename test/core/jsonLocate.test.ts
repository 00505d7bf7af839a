import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { locateJsonError } from '../../src/core/jsonLocate.js';

describe('locateJsonError', () => {
  it('points at the first bad character', () => {
    expect(locateJsonError('{"a": }')).toMatchObject({ line: 1, column: 7, found: '"}"' });
    expect(locateJsonError('{"a": 1,\n "b": tru}')).toMatchObject({ line: 2, column: 7 });
    expect(locateJsonError('[1, 2')).toMatchObject({ found: 'end of input' });
    expect(locateJsonError('{"a": 1} x')).toMatchObject({ column: 10 });
  });

  it('property: agrees with JSON.parse on what is valid, over mutated JSON texts', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('}', ']', ',', ':', 'x', '"', '\\', ' ', '-', '0', '\u0001'), (json, k, junk) => {
        const pos = k % (json.length + 1);
        const text = json.slice(0, pos) + junk + json.slice(pos);
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const at = locateJsonError(text);
        expect(at.ok).toBe(valid);
        if (!valid) expect(at.offset).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
