import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { describe, expect, it } from 'vitest';
import { exited, startServer } from '../helpers/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('nextbest demo, serving', () => {
  it('suggests a curl whose decision chooses an action; `serve` on its data dir afterwards decides on its clock', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'nb-demo-serve-')), 'data');
    const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), 'demo', '--customers', '200', '--days', '30', '--no-train', '--no-compare', '--port', '0', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const curl = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no curl line in 90 s: ${out}\n${err}`)), 90_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /curl -s (?:-H "authorization: Bearer \$NEXTBEST_KEY" )?(\S+) -H 'content-type: application\/json' -d '(\{[^']+\})'/.exec(out);
        if (m && out.includes('Ctrl-C to stop.')) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      child.on('exit', (code) => reject(new Error(`demo exited ${code}: ${err}`)));
    });
    try {
      // The demo prints its admin key as `export NEXTBEST_KEY=...`; the curl sends it.
      const key = /export NEXTBEST_KEY=(\S+)/.exec(out)?.[1];
      expect(key).toBeDefined();
      const res = await fetch(curl[1]!, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: curl[2]! });
      const body = (await res.json()) as { chosen: { actionId: string }[] };
      expect(res.status).toBe(200);
      expect(body.chosen.length).toBeGreaterThan(0);
      expect(typeof body.chosen[0]!.actionId).toBe('string');
    } finally {
      child.kill('SIGINT');
      expect(await exited(child)).toBe('0');
    }
    // `nextbest serve` on the demo's data dir runs on the demo's simulated clock (clock.json):
    // another customer's decision chooses, at the instant the demo's history ends.
    const served = await startServer(dataDir);
    try {
      expect(served.stdout()).toMatch(/simulated clock: 2025-01-31T09:00:00.000Z/);
      const other = JSON.parse(curl[2]!) as { customerId: string };
      // Other customers' decisions, on the demo's clock; on the wall clock every window would be empty and nothing chosen.
      let chose = 0;
      for (let k = 1; k <= 20 && chose === 0; k++) {
        const id = `c${String(Number(other.customerId.slice(1)) + k).padStart(other.customerId.length - 1, '0')}`;
        const res = await fetch(`${served.url}/v1/decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: id, channel: 'in_app' }) });
        const body = (await res.json()) as { decidedAt: string; chosen: unknown[] };
        expect([res.status, body.decidedAt]).toEqual([200, '2025-01-31T09:00:00.000Z']);
        chose += body.chosen.length;
      }
      expect(chose).toBeGreaterThan(0);
    } finally {
      served.child.kill('SIGTERM');
      expect(await exited(served.child)).toBe('0');
    }
  }, 180_000);
});
