import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, predictBatch } from '../../src/models/gbdt/index.js';
import { syntheticBank, TOKEN } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nb-federated-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function nextbest(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

/** Writes a bank's rows as a CSV with a split column. */
function writeCsv(path: string, seed: number, shift: number): void {
  const b = syntheticBank(600, seed, shift);
  const F = b.featureNames.length;
  const lines = [[...b.featureNames, 'took_offer', 'split'].join(',')];
  const add = (values: Float64Array, label: Float64Array, split: string) => {
    for (let i = 0; i < label.length; i++) lines.push([...Array.from(values.subarray(i * F, (i + 1) * F), (v) => (Number.isNaN(v) ? '' : String(v))), label[i] ? 'yes' : 'no', split].join(','));
  };
  add(b.train.values, b.trainLabel, 'train');
  add(b.test!.features.values, b.test!.label, 'test');
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no output in 60 s: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}: ${err}`)));
  });
}

describe('nextbest federated: participants and coordinator as separate processes', () => {
  it('trains over HTTP, and a participant killed (SIGKILL) mid-run is dropped without spoiling the model', async () => {
    const names = ['bank-a', 'bank-b', 'bank-c'];
    const procs = names.map((name, i) => {
      writeCsv(join(dir, `${name}.csv`), 31 + i, [-0.4, 0.1, 0.5][i]!);
      writeFileSync(
        join(dir, `${name}.yaml`),
        [`name: ${name}`, 'listen: { host: 127.0.0.1, port: 0 }', 'tokenEnv: FED_TOKEN', 'data:', `  csv: ${name}.csv`, '  features: [x0, x1, x2, x3, x4, x5]', '  target: took_offer', '  positive: "yes"', '  splitColumn: split', ''].join('\n'),
      );
      return nextbest(['federated', 'participant', '--config', join(dir, `${name}.yaml`)], { FED_TOKEN: TOKEN });
    });
    const started = await Promise.all(procs.map((p, i) => firstLine(p, names[i]!)));
    const urls = started.map((l) => (JSON.parse(l) as { url: string; rows: number }).url);
    writeFileSync(
      join(dir, 'coordinator.yaml'),
      [
        'participants:',
        ...names.map((n, i) => `  - { name: ${n}, url: "${urls[i]}", tokenEnv: FED_TOKEN }`),
        'params: { rounds: 30, max_depth: 3, eta: 0.2, maxBin: 32 }',
        'minParticipants: 2',
        'timeoutMs: 5000',
        'out: model.json',
        '',
      ].join('\n'),
    );
    const coord = nextbest(['federated', 'coordinator', '--config', join(dir, 'coordinator.yaml')], { FED_TOKEN: TOKEN });
    let out = '';
    let err = '';
    coord.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      coord.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('round 8:') && procs[2]!.exitCode === null && !procs[2]!.killed) procs[2]!.kill('SIGKILL');
      });
      coord.on('exit', resolve);
    });
    expect(code, err).toBe(0);
    const summary = JSON.parse(out) as { rounds: number; participants: { name: string; rounds: number; dropped: { round: number } | null; testAuc: number | null }[] };
    expect(summary.rounds).toBe(30);
    const c = summary.participants.find((p) => p.name === 'bank-c')!;
    expect(c.dropped).not.toBeNull();
    expect(c.rounds).toBeGreaterThanOrEqual(8);
    expect(c.rounds).toBeLessThan(30);
    for (const p of summary.participants.filter((x) => x.name !== 'bank-c')) {
      expect(p.rounds).toBe(30);
      expect(p.testAuc).toBeGreaterThan(0.6);
    }
    const model = loadModel(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
    expect(model.trees).toHaveLength(30);
    const test = syntheticBank(600, 33, 0.5).test!;
    for (const p of predictBatch(model, test.features)) expect(p > 0 && p < 1).toBe(true);
  }, 180_000);

  it('a bad participant config exits 1 naming the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: Bank A\ndata: { csv: x.csv, features: [], target: y }\n');
    const p = nextbest(['federated', 'participant', '--config', bad]);
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/name/);
    expect(err).toMatch(/VALIDATION_FAILED/);
  }, 60_000);
});
