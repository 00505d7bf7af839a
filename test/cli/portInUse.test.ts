import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let holder: Server;
let port: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

/** Runs the CLI in a child process; resolves with its exit code and output, or 'hung' after 60 s. */
function cli(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'nb-port-')), 'data');
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args, '--data-dir', dataDir], { cwd: root, env: { ...process.env, NEXTBEST_LOG_LEVEL: 'silent' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'hung', stdout, stderr });
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? String(signal), stdout, stderr });
    });
  });
}

describe('a port already in use', () => {
  it('makes `nextbest serve` say so and exit 1 instead of hanging', async () => {
    const r = await cli(['serve', '--port', String(port), '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`);
    expect(r.stderr).toContain('--port 0 picks a free one');
    expect(r.stdout).not.toContain('listening');
  }, 70_000);

  it('makes `nextbest demo` say so before generating anything, and exit 1', async () => {
    const r = await cli(['demo', '--port', String(port), '--customers', '20', '--days', '10', '--no-train', '--no-compare']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(EADDRINUSE)');
    expect(r.stdout).not.toContain('customers upserted');
  }, 70_000);
});
