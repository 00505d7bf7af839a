import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { afterAll, describe, expect, it } from 'vitest';
import { threeBankExperiment } from '../../src/cli/federatedDemo.js';
import { createEngine, loadConfig } from '../../src/index.js';
import { TOKEN } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = join(mkdtempSync(join(tmpdir(), 'nb-fed-demo-')), 'banks');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function nextbest(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FED_TOKEN: TOKEN } });
  children.push(child);
  return child;
}

describe('nextbest federated demo (three twin banks, small)', () => {
  it('builds each bank\'s rows from its own log, trains over HTTP, equals central, registers in every bank, serves', async () => {
    const r = await threeBankExperiment({ customers: 100, days: 90, seed: 7, rounds: 5, family: 'investment', dp: false, dataDir });
    expect(r.family).toBe('investment');
    expect(r.banks.every((b) => b.trainRows > 20 && b.trainPositives > 0)).toBe(true);
    // Different customer mixes give different banks.
    expect(new Set(r.banks.map((b) => b.trainRows)).size).toBe(3);
    expect(r.maxPredictionGap).toBeLessThan(1e-12);
    expect(r.table.map((t) => t.model)).toEqual(['federated', 'central (pooled rows)', 'bank-a alone', 'bank-b alone', 'bank-c alone']);
    expect(r.table[0]!.all).toBe(r.table[1]!.all);
    expect(r.federated.participants.map((p) => p.registered)).toEqual(['propensity_investment@1', 'propensity_investment@1', 'propensity_investment@1']);
    expect(r.served?.model).toBe('propensity_investment@1');
  }, 240_000);

  it('the same banks as separate processes reading their own stores: the model lands in each bank\'s registry', async () => {
    const names = ['bank-a', 'bank-b', 'bank-c'];
    const urls = await Promise.all(
      names.map((name) => {
        const cfg = join(dataDir, `${name}.yaml`);
        writeFileSync(cfg, [`name: ${name}`, 'listen: { port: 0 }', 'tokenEnv: FED_TOKEN', 'data:', `  dataDir: ${name}`, '  config: none.yaml', '  family: investment', '  from: "2025-01-31T00:00:00Z"', '  to: "2025-04-01T09:00:00Z"', ''].join('\n'));
        const p = nextbest(['federated', 'participant', '--config', cfg]);
        return new Promise<string>((resolve, reject) => {
          let out = '';
          let err = '';
          p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          p.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
          });
          p.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${err}`)));
        });
      }),
    );
    const coordCfg = join(dataDir, 'coordinator.yaml');
    writeFileSync(coordCfg, ['participants:', ...names.map((n, i) => `  - { name: ${n}, url: "${urls[i]}", tokenEnv: FED_TOKEN }`), 'params: { rounds: 5, max_depth: 3, eta: 0.1, maxBin: 32 }', 'card: { title: "Investment take-up, three banks" }', ''].join('\n'));
    const coord = nextbest(['federated', 'coordinator', '--config', coordCfg]);
    let out = '';
    let err = '';
    coord.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    coord.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((r) => coord.on('exit', r)), err).toBe(0);
    const summary = JSON.parse(out) as { participants: { registered: string }[] };
    expect(summary.participants.map((p) => p.registered)).toEqual(names.map(() => 'propensity_investment@2'));
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : undefined)));
    const engine = await createEngine(loadConfig('none.yaml', {}, { dataDir: join(dataDir, 'bank-b'), log: { level: 'warn' } }));
    try {
      const m = await engine.models.get('propensity_investment@2');
      expect(m?.card.title).toBe('Investment take-up, three banks');
      expect((m?.card.federation as { participants: { name: string }[] }).participants.map((p) => p.name)).toEqual(names);
    } finally {
      await engine.close();
    }
  }, 240_000);
});
