import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { run } from '../../src/cli/decide.js';

afterEach(() => vi.restoreAllMocks());

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

async function compare(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  expect(await run(['compare', ...args])).toBe(0);
  vi.restoreAllMocks();
  return out;
}

const small = ['--scenario', join(scenarios, 'faults.yaml'), '--seed', '3', '--customers', '150', '--days', '20', '--train-days', '20'];

describe('nextbest decide compare', () => {
  it('runs every arm on the scenario and prints the yardstick as JSON, the same bytes for the same seed', async () => {
    const out = await compare([...small, '--json']);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ scenario: 'faults', seed: 3, customers: 150, days: 20, trainDays: 20 });
    expect(r.rows.map((x: { policy: string }) => x.policy)).toEqual(['engine', 'engine-triggered', 'triggers-only', 'rules', 'random', 'oracle', 'oracle-value', 'no-contact']);
    const row = (p: string) => r.rows.find((x: { policy: string }) => x.policy === p);
    expect(row('oracle-value').netVsValueOracle).toBe(1);
    expect(row('random').acceptedVsRandom).toBe(1);
    expect(row('no-contact')).toMatchObject({ acceptedValueGBP: 0, netValueGBP: 0, contactsPerCustomer: 0, harm: 0 });
    expect(row('engine').contactsPerCustomer).toBeGreaterThan(0);
    expect(r.goal.map((g: { policy: string }) => g.policy)).toEqual(['engine', 'engine-triggered', 'triggers-only']);
    // The triggered arms act on the ready-made triggers: fires are counted by trigger, and the
    // arm acting on the moments alone contacts no more than the batch engine.
    expect(Object.keys(r.triggerFires)).toEqual(['engine-triggered', 'triggers-only']);
    const fires = r.triggerFires['triggers-only'];
    const offers = Object.values(fires.offers as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(Object.values(fires.fires as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(offers);
    expect(offers).toBe(Math.round(row('triggers-only').contactsPerCustomer * 150));
    expect(row('triggers-only').contactsPerCustomer).toBeLessThanOrEqual(row('engine').contactsPerCustomer);
    // The scenario's faults reached the engine's feed and ingestion coped.
    expect(r.feed.injected.malformed).toBeGreaterThan(0);
    expect(r.feed.gate.rejected).toBe(r.feed.injected.malformed);
    expect(r.feed.gate.deduplicated).toBe(r.feed.injected.duplicates);
    expect(await compare([...small, '--json'])).toBe(out);
  }, 60_000);

  it('prints the table from the same summary, with only the arms asked for', async () => {
    const out = await compare([...small, '--policies', 'rules,random,oracle-value']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('faults: seed 3, 150 customers, 20 days');
    expect(lines[1]).toMatch(/^policy +accepted value +net value +contacts\/cust +churn +harm +accept +net\/oracle-value +accepted\/random +harm\/rules +churn\/rules$/);
    expect(lines.slice(2).map((l) => l.split(/ +/)[0])).toEqual(['rules', 'random', 'oracle-value']);
    expect(out).not.toMatch(/goal/);
    const json = JSON.parse(await compare([...small, '--policies', 'rules,random,oracle-value', '--json']));
    expect(lines[3]).toContain(`${json.rows[1].acceptedVsRandom.toFixed(2)}×`);
  }, 60_000);

  it('refuses unknown arms and bad scenarios, naming the flag, file and field', async () => {
    await expect(run(['compare', '--policies', 'engine,oracel'])).rejects.toThrow(/--policies must name arms from engine, engine-triggered, triggers-only, rules, random, oracle, oracle-value, no-contact; got "oracel"/);
    await expect(run(['compare', '--policies', 'engine-triggered', '--triggers', '/nonexistent-triggers.yaml'])).rejects.toThrow(/--triggers \/nonexistent-triggers\.yaml: no such file/);
    const badTriggers = join(mkdtempSync(join(tmpdir(), 'nb-compare-')), 'triggers.yaml');
    writeFileSync(badTriggers, 'triggers:\n  - { id: t, kind: event, events: [deposit], consider: { families: [] } }\n');
    await expect(run(['compare', '--policies', 'engine-triggered', '--triggers', badTriggers])).rejects.toThrow(/--triggers .*triggers\.yaml: .*consider/);
    await expect(run(['compare', '--scenario', '/nonexistent.yaml'])).rejects.toThrow(UsageError);
    const bad = join(mkdtempSync(join(tmpdir(), 'nb-compare-')), 'bad.yaml');
    writeFileSync(bad, 'response:\n  investment: { cash_rich_saver: -2 }\n');
    await expect(run(['compare', '--scenario', bad])).rejects.toThrow(/bad\.yaml: response\.investment\.cash_rich_saver: must be at least 0/);
    await expect(run(['compare', '--customers', '5'])).rejects.toThrow(/--customers must be an integer from 10/);
  });
});
