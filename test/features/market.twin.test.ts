import { describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { FeatureSet } from '../../src/features/featureSet.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { viewOf } from '../../src/simulation/closedLoop.js';
import { parseScenario } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';
import { twinProfile } from '../../src/simulation/twinProfile.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { appendItems } from './generate.js';

const DAY = 86_400_000;

describe("the pack's market features agree with the twin's own profile", () => {
  it('base_rate_change_120d from the market events the twin writes equals twinProfile at the end of every day', async () => {
    const twin = new Twin(
      parseScenario({
        seed: 5,
        customers: 3,
        days: 260,
        groundTruthEveryDays: 0,
        baseRate: 4.5,
        marketEvents: [
          { day: 10, kind: 'base_rate_change', value: 4.25 },
          { day: 60, kind: 'base_rate_change', value: 4.0 },
          { day: 90, kind: 'market_shock', value: -15 },
          { day: 100, kind: 'inflation_release', value: 5.5 },
          { day: 170, kind: 'base_rate_change', value: 4.5 },
        ],
      }),
    );
    const market: BankEvent[] = [];
    const twinValue: number[] = [];
    const start = Date.parse(`${twin.scenario.startDate}T00:00:00Z`);
    for (let d = 0; d < twin.scenario.days; d++) {
      twin.beginDay(d);
      const profile = twinProfile(viewOf(twin, 0, twin.pop.customerRecord(0, twin.scenario.startDate)), 'email');
      twinValue.push(profile.base_rate_change_120d as number);
      market.push(...twin.finishDay().market);
    }
    expect(market.map((e) => (e as Extract<BankEvent, { type: 'market_event' }>).payload.kind)).toEqual(['base_rate_change', 'base_rate_change', 'market_shock', 'inflation_release', 'base_rate_change']);
    const log = new MemoryEventLog();
    await log.appendMany(appendItems(market), 0);
    const fs = FeatureSet.compile(BANK_PACK);
    const endOfDay = twinValue.map((_, d) => ({ customerId: 'c0000000', asOf: start + (d + 1) * DAY - 1 }));
    const m = await buildFeatureMatrix(log, fs, endOfDay);
    const col = fs.names.indexOf('base_rate_change_120d');
    const pack = endOfDay.map((_, r) => m.values[r * fs.size + col]!);
    // The run covers cuts entering and leaving the 120-day window, and a rise.
    expect(new Set(twinValue.map((v) => v.toFixed(2)))).toEqual(new Set(['0.00', '-0.25', '-0.50', '0.25', '0.50']));
    pack.forEach((v, d) => expect(v, `day ${d}`).toBeCloseTo(twinValue[d]!, 12));
    // The twin's decisions come at 10:00, and its view already has a change announced at 12:00 that day:
    // the pack (as of 10:00) sees it from 12:00 on, so the two differ on those days only.
    const morning = await buildFeatureMatrix(log, fs, twinValue.map((_, d) => ({ customerId: 'c0000000', asOf: start + d * DAY + 10 * 3_600_000 })));
    const differ = twinValue.flatMap((v, d) => (Math.abs(morning.values[d * fs.size + col]! - v) > 1e-12 ? [d] : []));
    expect(differ).toEqual([10, 60, 170]);
  });
});
