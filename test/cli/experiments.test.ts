import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { main } from '../../src/cli/main.js';
import { createEngine } from '../../src/engine.js';

const io = captureStdio();

const YAML = `
universalControl: { salt: ucg-cli, share: 0.02 }
experiments:
  - id: spring-holdout
    description: Does the engine beat doing nothing?
    status: running
    control: holdout
    arms:
      - { name: engine, kind: policy, policy: engine, weight: 4 }
      - { name: holdout, kind: holdout, weight: 1 }
  - id: card-levers
    status: draft
    layer: pricing
    arms:
      - { name: base, kind: policy, policy: engine }
      - { name: no-cards, kind: levers, levers: { families: { credit_card: 0 } } }
`;

describe('nextbest experiments', () => {
  it('creates from YAML (all or nothing), lists, and reports ID as HTML + JSON from the logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-experiments-'));
    const dataDir = join(dir, 'data');
    const common = ['--data-dir', dataDir, '--config', join(dir, 'none.yaml')];
    const file = join(dir, 'experiments.yaml');
    writeFileSync(file, YAML);

    // A bad file names the field and stores nothing.
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, YAML.replace('kind: holdout, weight: 1', 'kind: holdout, weight: -1'));
    expect(await main(['experiments', 'create', bad, ...common])).toBe(1);
    expect(io.err).toContain('experiments.0.arms.1.weight');
    io.err = '';

    expect(await main(['experiments', 'create', file, ...common])).toBe(0);
    expect(JSON.parse(io.out).created.map((c: { id: string }) => c.id)).toEqual(['spring-holdout', 'card-levers']);
    io.out = '';
    expect(await main(['experiments', 'list', ...common])).toBe(0);
    expect(JSON.parse(io.out).map((r: { experiment: { id: string } }) => r.experiment.id)).toEqual(['spring-holdout', 'card-levers']);

    // Decisions through the engine on the same data dir, then the report.
    const engine = await createEngine({ dataDir, log: { level: 'silent' } });
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    await engine.upsertCustomers(ids.map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', consents: { marketing: true, personalised_offers: true } })));
    for (const customerId of ids) await engine.decide({ customerId, channel: 'in_app', n: 1 });
    await engine.close();

    io.out = '';
    const out = join(dir, 'report');
    expect(await main(['experiments', 'report', 'spring-holdout', '--out', out, ...common])).toBe(0);
    const written = JSON.parse(io.out);
    expect(existsSync(written.html)).toBe(true);
    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('spring-holdout');
    const json = JSON.parse(readFileSync(written.json, 'utf8'));
    expect(json.arms.map((a: { arm: string }) => a.arm)).toEqual(['engine', 'holdout']);
    expect(json.arms.reduce((s: number, a: { customers: number }) => s + a.customers, 0)).toBe(written.customers);
    expect(written.customers).toBeGreaterThan(50);
    expect(json.arms[1].contactsPerCustomer).toBe(0);

    // The fairness audits and the outcome report over the same decisions.
    io.out = '';
    expect(await main(['fairness', 'decisions', '--days', '30', ...common])).toBe(0);
    expect(io.out).toMatch(/^decision fairness over 60 customers, 60 decisions; attributes age_band/);
    io.out = '';
    expect(await main(['fairness', 'decisions', '--days', '30', '--json', ...common])).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ customers: 60, decisions: 60, attributes: ['age_band'] });
    io.out = '';
    expect(await main(['fairness', 'models', ...common])).toBe(0);
    expect(io.out.trim()).toBe('');
    expect(await main(['fairness', 'decisions', '--days', '0', ...common])).toBe(2);
    expect(io.err).toContain('--days must be a whole number');
    io.out = '';
    expect(await main(['outcomes', '--days', '30', '--json', ...common])).toBe(0);
    const outcomes = JSON.parse(io.out);
    expect(outcomes.customers).toBe(60);
    expect(outcomes.heldOut).toBe(json.arms[1].customers + 60 - written.customers);
    io.out = '';
    expect(await main(['outcomes', ...common])).toBe(0);
    expect(io.out).toMatch(/^customer outcomes: \d+ contacted, \d+ held out, 0 vulnerable/);
  }, 60_000);
});
