import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { main } from '../../src/cli/main.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/segmentation/${name}`, import.meta.url));
const ref = JSON.parse(readFileSync(fixture('kmeans.json'), 'utf8'));
const columns = 'Seniority,Time,Age,Expenses,Income,Assets,Debt,Amount,Price';

const io = captureStdio();

describe('nextbest segment', () => {
  it('segments credit_data as kmeans.json does and beats scikit-learn inertia, with words and assignments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-seg-'));
    const words = join(dir, 'words.json');
    writeFileSync(words, JSON.stringify([{ column: 'Debt', label: 'debt', highName: 'heavily indebted customers' }, { column: 'Assets', label: 'assets' }]));
    const assignments = join(dir, 'seg.csv');
    const code = await main(['segment', '--data', fixture('credit_data.csv'), '--columns', columns, '--k', '5', '--seed', '0', '--words', words, '--assignments', assignments]);
    expect(code).toBe(0);
    const json = JSON.parse(io.out);
    expect(json.rowsUsed).toBe(ref.input.rows_used);
    expect(json.rowsDropped).toBe(414);
    expect(json.inertia).toBeLessThanOrEqual(ref.inertia + 1e-6);
    expect(json.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(4040);
    const indebted = json.segments.find((s: { centreZ: { Debt: number } }) => s.centreZ.Debt > 2);
    expect(indebted.name).toBe('Heavily indebted customers');
    expect(indebted.description).toMatch(/^very high debt/);
    const lines = readFileSync(assignments, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,segment,name');
    expect(lines).toHaveLength(4041);
  });

  it('with --k-range reports silhouette and elbow for every k and keeps the best silhouette', async () => {
    const code = await main(['segment', '--data', fixture('credit_data.csv'), '--columns', 'Income,Assets,Debt', '--k-range', '2-4', '--n-init', '2', '--silhouette-sample', '300']);
    expect(code).toBe(0);
    const json = JSON.parse(io.out);
    expect(json.chooseK.candidates.map((c: { k: number }) => c.k)).toEqual([2, 3, 4]);
    const best = json.chooseK.candidates.reduce((a: { silhouette: number }, b: { silhouette: number }) => (b.silhouette > a.silhouette ? b : a));
    expect(json.k).toBe(best.k);
    io.out = '';
    expect(await main(['segment', '--data', fixture('credit_data.csv'), '--columns', 'Income,Assets,Debt', '--k-range', '2-4', '--n-init', '2', '--pick', 'elbow'])).toBe(0);
    const elbow = JSON.parse(io.out);
    expect(elbow.k).toBe(elbow.chooseK.elbow);
  });

  it('names the bad flag or column and exits non-zero', async () => {
    expect(await main(['segment', '--data', fixture('credit_data.csv'), '--columns', 'Income,Nope'])).toBe(2);
    expect(io.err).toMatch(/--columns: column "Nope" is not in the header/);
    expect(await main(['segment', '--data', fixture('credit_data.csv'), '--columns', 'Income,Home'])).toBe(2);
    expect(io.err).toMatch(/column "Home" line 2 is "rent", not a number/);
    expect(await main(['segment', '--data', fixture('credit_data.csv'), '--columns', 'Income', '--k-range', '1-3'])).toBe(2);
    expect(io.err).toMatch(/--k-range/);
    expect(await main(['segment', '--columns', 'Income'])).toBe(2);
    expect(io.err).toMatch(/--data is required/);
    expect(await main(['segment', '--help'])).toBe(0);
    expect(io.out).toMatch(/Usage: nextbest segment/);
  });
});
