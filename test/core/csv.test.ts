import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv, parseCsvLine } from '../../src/core/csv.js';
import { ValidationError } from '../../src/core/errors.js';

describe('parseCsvLine', () => {
  it('splits plain fields and keeps empty fields as empty strings', () => {
    expect(parseCsvLine('a,,b,')).toEqual(['a', '', 'b', '']);
    expect(parseCsvLine('')).toEqual(['']);
  });

  it('handles quoted fields with commas and doubled quotes', () => {
    expect(parseCsvLine('"a,b",c,"say ""hi""",""')).toEqual(['a,b', 'c', 'say "hi"', '']);
    expect(parseCsvLine('x,"y, z",')).toEqual(['x', 'y, z', '']);
  });

  it('rejects an unterminated quote and text after a closing quote', () => {
    expect(() => parseCsvLine('"abc')).toThrow(ValidationError);
    expect(() => parseCsvLine('"a"b,c')).toThrow(ValidationError);
  });

  it('round-trips any fields written with RFC 4180 quoting', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', ' ', '1') , maxLength: 6 });
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 6 }), (fields) => {
        const line = fields.map((f) => (/[",]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',');
        expect(parseCsvLine(line)).toEqual(fields);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('parseCsv', () => {
  it('reads header and rows with \\r\\n endings, with or without a final newline', () => {
    const a = parseCsv('x,y\r\n1,\r\n2,b\r\n');
    const b = parseCsv('x,y\n1,\n2,b');
    expect(a).toEqual({ header: ['x', 'y'], rows: [['1', ''], ['2', 'b']] });
    expect(b).toEqual(a);
  });

  it('names the line of a ragged row', () => {
    expect(() => parseCsv('x,y\n1,2\n3\n')).toThrow(/line 3/);
  });

  it('rejects empty text', () => {
    expect(() => parseCsv('')).toThrow(ValidationError);
  });
});
