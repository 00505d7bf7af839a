import { readFileSync } from 'node:fs';
import { parseCsv, type CsvTable } from '../../../src/core/csv.js';

const dir = new URL('../../fixtures/survival/', import.meta.url);

/** A CSV copied into test/fixtures/survival (see test/fixtures/README.md). */
export function fixtureTable(name: string): CsvTable {
  return parseCsv(readFileSync(new URL(name, dir), 'utf8'));
}

/** A JSON fixture from test/fixtures/survival. */
export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;
}

/** |a - b| / |b| (absolute when b is 0). */
export function relErr(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}
