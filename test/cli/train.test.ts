import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { UsageError } from '../../src/cli/args.js';
import { run as models } from '../../src/cli/models.js';
import { run as train } from '../../src/cli/train.js';
import { createEngine } from '../../src/engine.js';
import { appendAll, syntheticBank } from '../training/synthetic.js';

const io = captureStdio();

describe('nextbest train and nextbest models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-train-'));
  let events = 0;
  beforeAll(async () => {
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    const bank = syntheticBank({ customers: 120, days: 140, seed: 4 });
    events = bank.events.length;
    await appendAll(engine.stores.eventLog, bank.events);
    await engine.close();
  }, 60_000);

  it('rejects bad flags with a message naming the flag', async () => {
    await expect(train(['--model', 'crystal_ball', '--data-dir', dir])).rejects.toThrow(UsageError);
    await expect(train(['--model', 'crystal_ball', '--data-dir', dir])).rejects.toThrow(/--model: unknown model crystal_ball/);
    await expect(train(['--from', 'yesterday', '--data-dir', dir])).rejects.toThrow(/--from must be a date/);
    await expect(train(['--threads', '0', '--data-dir', dir])).rejects.toThrow(/--threads must be a whole number/);
    await expect(models(['promote', '--data-dir', dir])).rejects.toThrow(/needs a model ID/);
    await expect(models(['list', '--stage', 'gold', '--data-dir', dir])).rejects.toThrow(/--stage must be one of/);
    await expect(models(['frobnicate', '--data-dir', dir])).rejects.toThrow(/give a subcommand/);
    expect(await train(['--help'])).toBe(0);
    expect(io.out).toMatch(/nextbest train/);
  });

  it('trains, registers, promotes, shows the card, rolls back: JSON on stdout', async () => {
    expect(await train(['--model', 'propensity', '--promote', '--data-dir', dir])).toBe(0);
    const report = JSON.parse(io.out);
    expect(report.trained.map((t: { id: string }) => t.id)).toEqual(['propensity_credit_card@1', 'propensity_savings@1']);
    expect(report.trained[1].metrics).toMatchObject({ auc: expect.any(Number), logLoss: expect.any(Number), liftTopDecile: expect.any(Number) });
    expect(report.promoted).toEqual(['propensity_credit_card@1', 'propensity_savings@1']);
    // The engine that wrote the events followed them into the training snapshot (it started on an empty log): the first run does not build it.
    expect(report.data).toMatchObject({ source: 'snapshot', rows: events });
    expect(['loaded', 'extended']).toContain(report.data.action);
    expect(existsSync(join(dir, 'training-snapshot', 'meta.json'))).toBe(true);
    io.out = '';
    expect(await train(['--model', 'propensity', '--seed', '3', '--data-dir', dir])).toBe(0);
    const second = JSON.parse(io.out);
    expect(second.data).toMatchObject({ source: 'snapshot', action: 'loaded' });
    io.out = '';
    expect(await models(['list', '--name', 'propensity_savings', '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out).map((m: { id: string; stage: string }) => `${m.id}:${m.stage}`)).toEqual(['propensity_savings@2:candidate', 'propensity_savings@1:champion']);
    io.out = '';
    expect(await models(['show', 'propensity_savings@2', '--card', '--data-dir', dir])).toBe(0);
    expect(io.out).toContain('## Limitations');
    io.out = '';
    // Retrained on the same data, @2 does not beat the champion on the same rows: refused, naming the rule.
    await expect(models(['promote', 'propensity_savings@2', '--data-dir', dir])).rejects.toThrow(/beats_champion/);
    await expect(models(['promote', 'propensity_savings@2', '--force', 'ok', '--data-dir', dir])).rejects.toThrow(/reason_required/);
    io.out = '';
    expect(await models(['promote', 'propensity_savings@2', '--force', 'hot-swap check on the same data', '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out).retired.id).toBe('propensity_savings@1');
    io.out = '';
    expect(await models(['rollback', 'propensity_savings', '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out).champion.id).toBe('propensity_savings@1');
    io.out = '';
    expect(await models(['show', 'nope@1', '--data-dir', dir])).toBe(1);
    expect(io.err).toMatch(/no model nope@1/);
    io.out = '';
    // The old way, every job scanning the log: the same model as from the snapshot (what @2 is, same seed).
    expect(await train(['--model', 'propensity', '--seed', '3', '--from-log', '--data-dir', dir])).toBe(0);
    const fromLog = JSON.parse(io.out);
    expect(fromLog.data).toMatchObject({ source: 'log' });
    expect(fromLog.trained.map((t: { metrics: unknown }) => t.metrics)).toEqual(second.trained.map((t: { metrics: unknown }) => t.metrics));
    io.out = '';
    // On the main thread alone (the config's default is two threads): the same models.
    expect(await train(['--model', 'propensity', '--seed', '3', '--threads', '1', '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out).trained.map((t: { metrics: unknown }) => t.metrics)).toEqual(second.trained.map((t: { metrics: unknown }) => t.metrics));
    io.out = '';
  });
});
