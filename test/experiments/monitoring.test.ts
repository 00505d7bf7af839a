import { describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { outcomeMonitoring } from '../../src/experiments/monitoring.js';
import { MeasurementMonitor } from '../../src/experiments/measurementMonitor.js';
import type { FairnessReport } from '../../src/experiments/fairness.js';
import type { ExposureDecision } from '../../src/experiments/outcomes.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
let seq = 0;
const ev = (day: number, customerId: string, type: string, payload: unknown): StoredEvent => {
  const t = T0 + day * DAY;
  return { seq: ++seq, t, recordedAt: t, event: { eventId: `e${++seq}`, occurredAt: new Date(t).toISOString(), customerId, type, payload } as unknown as BankEvent };
};
const missed = (day: number, c: string) => ev(day, c, 'loan_repayment', { loanId: 'l', amount: { minor: 0, currency: 'GBP' }, kind: 'scheduled', status: 'missed' });
const login = (day: number, c: string) => ev(day, c, 'login', { channel: 'web' });

/**
 * 40 customers offered a credit card and 40 held out whose top-ranked action was the card;
 * half of each group vulnerable. Arrears after the offer (hand-set): contacted vulnerable 8
 * of 20, contacted others 2 of 20, held-out vulnerable 2 of 20, held-out others 2 of 20.
 */
function world() {
  const decisions: ExposureDecision[] = [];
  const events: StoredEvent[] = [];
  for (let i = 0; i < 80; i++) {
    const id = `c${i}`;
    const contacted = i < 40;
    const vulnerable = i % 2 === 0;
    const k = Math.floor((i % 40) / 2); // 0..19 within each (group, vulnerability) cell
    decisions.push({
      decisionId: `d${i}`,
      customerId: id,
      decidedAt: T0 + DAY,
      experiment: { experimentId: 'h', arm: contacted ? 'engine' : 'holdout', heldOut: !contacted },
      chosen: contacted ? [{ actionId: 'cc_everyday', family: 'credit_card', value: 100 }] : [],
      vulnerable,
      topAction: { actionId: 'cc_everyday', family: 'credit_card' },
    });
    events.push(login(2, id), login(20, id));
    const arrears = contacted && vulnerable ? k < 8 : k < 2;
    if (arrears) events.push(missed(10, id));
  }
  return { decisions, events };
}

describe('customer-outcome monitoring (hand-set counts)', () => {
  it('compares contacted with held-out customers per family and segment, and flags worse outcomes for the vulnerable', () => {
    const { decisions, events } = world();
    const r = outcomeMonitoring(decisions, events, { from: T0, until: T0 + 30 * DAY, targetedSupport: new Set(['ts_invest']) });
    expect(r).toMatchObject({ customers: 80, contacted: 40, heldOut: 40, vulnerable: 40 });
    const line = (segment: string) => r.lines.find((l) => l.group === 'credit_card' && l.segment === segment)!;
    const all = line('all').measures.arrears;
    if ('unavailable' in all) throw new Error(all.unavailable);
    expect(all.contacted).toBeCloseTo(10 / 40, 12);
    expect(all.comparison).toBeCloseTo(4 / 40, 12);
    const vuln = line('vulnerable').measures.arrears;
    if ('unavailable' in vuln) throw new Error(vuln.unavailable);
    expect(vuln.difference).toBeCloseTo(8 / 20 - 2 / 20, 12);
    expect(vuln.worse).toBe(true);
    const others = line('not_vulnerable').measures.arrears;
    if ('unavailable' in others) throw new Error(others.unavailable);
    expect(others.difference).toBe(0);
    expect(others.worse).toBe(false);
    const gap = r.vulnerableGaps.find((g) => g.group === 'credit_card' && g.measure === 'arrears')!;
    expect(gap.differenceInDifferences).toBeCloseTo(0.3, 12);
    expect(r.alerts).toContainEqual(expect.objectContaining({ group: 'credit_card', segment: 'vulnerable', measure: 'arrears' }));
    // nobody churned, complained or went overdrawn: no alert on those
    expect(r.alerts.every((a) => a.measure === 'arrears')).toBe(true);
    // no targeted-support action was chosen or ranked first: no such group
    expect(r.lines.some((l) => l.group === 'targeted_support')).toBe(false);
  });

  it('says why a comparison is not made when a group is too small', () => {
    const { decisions, events } = world();
    const r = outcomeMonitoring(decisions.slice(0, 43), events, { from: T0, until: T0 + 30 * DAY });
    expect(line(r, 'all').measures.arrears).toMatchObject({ unavailable: expect.stringContaining('not contacted 3') });
  });
});

function line(r: ReturnType<typeof outcomeMonitoring>, segment: string) {
  return r.lines.find((l) => l.group === 'credit_card' && l.segment === segment)!;
}

describe('the periodic measurement check', () => {
  it('logs each worse outcome and each fairness ratio whose whole interval is below 0.8, and keeps the latest run', async () => {
    const { decisions, events } = world();
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    const fairness: FairnessReport = {
      customers: 10,
      decisions: 10,
      attributes: ['age_band'],
      families: [],
      alerts: [
        { family: 'credit_card', attribute: 'age_band', group: '65+', measure: 'selection', ratio: 0.4, interval: [0.2, 0.7], significant: true },
        { family: 'savings', attribute: 'age_band', group: '18-24', measure: 'selection', ratio: 0.7, interval: [0.3, 1.4], significant: false },
      ],
    };
    const asked: number[] = [];
    const m = new MeasurementMonitor({
      outcomes: async (days) => (asked.push(days), outcomeMonitoring(decisions, events, { from: T0, until: T0 + 30 * DAY })),
      fairness: async () => fairness,
      now: () => T0 + 30 * DAY,
      log: (fields, message) => logged.push({ fields, message }),
    });
    expect(m.latest()).toBeUndefined();
    const run = await m.runOnce(30);
    expect(asked).toEqual([30]);
    expect(run.alerts.map((a) => a.kind)).toEqual([...run.outcomes.alerts.map(() => 'outcome'), 'fairness']);
    expect(logged.map((l) => l.fields.event)).toContain('outcome_alert');
    expect(logged.filter((l) => l.fields.event === 'fairness_alert').map((l) => l.fields.family)).toEqual(['credit_card']);
    expect(logged.find((l) => l.fields.event === 'outcome_alert')!.message).toMatch(/^customer outcome worse: credit_card \/ vulnerable: arrears/);
    expect(m.latest()).toBe(run);
  });
});
