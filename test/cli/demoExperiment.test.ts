import { describe, expect, it } from 'vitest';
import { measureOnTwin } from '../../src/cli/demoExperiment.js';

describe("the demo's experiment step", () => {
  it('runs an experiment with a holdout on the twin and prints the four KPIs with intervals, a fairness summary and an outcome summary', async () => {
    const lines: string[] = [];
    await measureOnTwin(7, (s) => lines.push(s), { customers: 250, days: 28 });
    const out = lines.join('\n');
    expect(out).toMatch(/an experiment with a holdout on the twin \(250 customers x 28 days/);
    expect(out).toMatch(/experiment demo-holdout: engine \d+, holdout \d+ customers; sample ratio as designed/);
    expect(out).toMatch(/engine vs holdout:/);
    expect(out).toMatch(/acceptance +\d+\.\d% vs 0\.0%, Δ \d\.\d+ \[\d\.\d+, \d\.\d+\]/);
    expect(out).toMatch(/revenue +£\d+\.\d+ vs £0\.00 per customer, Δ £\d+\.\d+ \[£/);
    expect(out).toMatch(/churn +/);
    expect(out).toMatch(/engagement +logins /);
    expect(out).toMatch(/watched daily +day \d+: 7-day acceptance Δ/);
    expect(out).toMatch(/decision fairness over 250 customers, \d+ decisions; attributes age_band, sex/);
    expect(out).toMatch(/customer outcomes: \d+ contacted, \d+ held out, \d+ vulnerable/);
  }, 120_000);
});
