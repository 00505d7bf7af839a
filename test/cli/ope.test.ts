import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFlags, run } from '../../src/cli/ope.js';
import { createEngine } from '../../src/engine.js';
import { ManualClock } from '../../src/core/clock.js';

afterEach(() => vi.restoreAllMocks());
const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));

describe('nextbest ope', () => {
  it('estimates a candidate on a stored decision log and prints every estimator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ope-'));
    const config = join(dir, 'nextbest.config.yaml');
    writeFileSync(config, `decisioning:\n  catalogue: ${catalogue}\n  bandit:\n    channels: { in_app: 0.5 }\nlog: { level: silent }\n`);
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' }, decisioning: { catalogue, bandit: { channels: { in_app: 0.5 } } } }, { clock: new ManualClock('2026-03-01T12:00:00Z') });
    await engine.upsertCustomers(Array.from({ length: 40 }, (_, k) => ({ customerId: `c${k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    const events: unknown[] = [];
    for (let k = 0; k < 40; k++) {
      // Fixed decision ids seed each decision's draw, so the log is the same on every run. With
      // random ids a run could log no saver at all (it happened in CI): the candidate's
      // importance weights were then all zero and SNIPS undefined.
      const d = await engine.decide({ customerId: `c${k}`, channel: 'in_app' }, { decisionId: `ope-${k}` });
      const a = d.chosen[0]?.actionId;
      // An exploring draw may offer nothing (logged with its probability, earning 0).
      if (a === undefined) continue;
      events.push({ eventId: `s${k}`, customerId: `c${k}`, occurredAt: '2026-03-01T12:01:00Z', schemaVersion: 1, type: 'offer_response', payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'shown' } });
      if (a === 'saver' || k % 7 === 0) events.push({ eventId: `a${k}`, customerId: `c${k}`, occurredAt: '2026-03-01T12:02:00Z', schemaVersion: 1, type: 'offer_response', payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'accepted' } });
    }
    await engine.ingest(events);
    await engine.close();
    const levers = join(dir, 'levers.yaml');
    writeFileSync(levers, 'families:\n  savings: 100\n');
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    expect(await run(['--data-dir', dir, '--config', config, '--levers', levers, '--resamples', '100'])).toBe(0);
    expect(out).toContain('decisions: 40 used of 40');
    expect(out).toMatch(/agreement with the candidate [1-9]/);
    for (const e of ['ips', 'snips', 'dm', 'dr', 'clipped_dr', 'switch_dr']) expect(out).toMatch(new RegExp(`^${e} +\\d`, 'm'));
    out = '';
    expect(await run(['--data-dir', dir, '--config', config, '--bandit', '0.3', '--json', '--resamples', '100'])).toBe(0);
    const json = JSON.parse(out);
    expect(json.candidate.bandit).toEqual({ budget: 0.3 });
    expect(json.acceptance.rounds).toBe(40);
    vi.restoreAllMocks();
    await expect(run(['--data-dir', dir, '--config', config, '--bandit', 'lots'])).rejects.toThrow('--bandit needs a number');
    // A model version the registry does not hold is named.
    await expect(run(['--data-dir', dir, '--config', config, '--model', 'savings=propensity_savings@9', '--resamples', '100'])).rejects.toThrow(/propensity_savings@9/);
  });

  it('reads --model FAMILY=VERSION flags, and names a malformed or repeated one', () => {
    expect(modelFlags(['savings=propensity_savings@3', 'pension=p@1'])).toEqual({ savings: 'propensity_savings@3', pension: 'p@1' });
    expect(() => modelFlags(['savings'])).toThrow('--model needs FAMILY=VERSION');
    expect(() => modelFlags(['=x@1'])).toThrow('--model needs FAMILY=VERSION');
    expect(() => modelFlags(['savings=a@1', 'savings=a@2'])).toThrow('--model names savings twice');
  });
});
