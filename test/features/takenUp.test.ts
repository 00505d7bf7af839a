import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { FeatureSet } from '../../src/features/featureSet.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import type { BankEvent } from '../../src/core/events.js';
import { appendItems } from './generate.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T09:00:00Z');
let n = 0;
const response = (at: number, actionId: string, response: 'shown' | 'accepted' | 'declined'): BankEvent =>
  ({ eventId: `r${++n}`, customerId: 'c1', occurredAt: new Date(at).toISOString(), schemaVersion: 1, type: 'offer_response', payload: { decisionId: `d${n}`, actionId, channel: 'in_app', response } }) as BankEvent;

describe('help the customer took up (bank pack)', () => {
  const fs = FeatureSet.compile(BANK_PACK);
  const col = (name: string) => fs.names.indexOf(name);

  it('counts days since an accepted guidance or retention offer, and ignores offers only shown or declined', async () => {
    const log = new MemoryEventLog();
    await log.appendMany(appendItems([
      response(T0, 'guide_money_help', 'shown'),
      response(T0 + 1000, 'guide_money_help', 'accepted'),
      response(T0 + 3 * DAY, 'ret_loyalty_rate', 'declined'),
      response(T0 + 4 * DAY, 'cc_everyday', 'accepted'),
      response(T0 + 10 * DAY, 'ret_loyalty_rate', 'accepted'),
    ]), 0);
    const m = await buildFeatureMatrix(log, fs, [{ customerId: 'c1', asOf: T0 + 9 * DAY }, { customerId: 'c1', asOf: T0 + 40 * DAY }, { customerId: 'nobody', asOf: T0 }]);
    const at = (row: number, name: string) => m.values[row * fs.size + col(name)]!;
    expect(at(0, 'days_since_guidance_taken')).toBeCloseTo(9, 0);
    // Declined, not taken: nothing yet.
    expect(at(0, 'days_since_retention_taken')).toBeNaN();
    expect(at(1, 'days_since_guidance_taken')).toBeCloseTo(40, 0);
    expect(at(1, 'days_since_retention_taken')).toBeCloseTo(30, 0);
    // Never taken: missing, so "taken within 90 days" is false and the help may be offered.
    expect(at(2, 'days_since_guidance_taken')).toBeNaN();
  });

  it('every profile feature the built-in catalogue reads is one the bank pack computes or the catalogue gives a default', () => {
    const text = readFileSync('catalogue/default.yaml', 'utf8');
    const defaults = Object.keys(parseCatalogueYaml(text).featureDefaults);
    const read = [...new Set([...text.matchAll(/profile\.([a-z0-9_]+)/g)].map((x) => x[1]!))];
    expect(read).toContain('days_since_retention_taken');
    expect(read).toContain('base_rate_change_120d');
    // base_rate_change_120d is a market-scope feature of the pack (test/features/market.test.ts).
    expect(read.filter((f) => !fs.names.includes(f) && !defaults.includes(f))).toEqual([]);
  });

  it('the action ids the features name are guidance and retention actions of the built-in catalogue', () => {
    const cat = parseCatalogueYaml(readFileSync('catalogue/default.yaml', 'utf8'));
    const family = new Map(cat.actions.map((a) => [a.id, a.family]));
    const src = readFileSync('src/features/bankPack.ts', 'utf8');
    const ids = (name: string) => JSON.parse(new RegExp(`const ${name} = '(\\[[^\\]]*\\])'`).exec(src)![1]!) as string[];
    expect(ids('GUIDANCE_ACTIONS').map((id) => family.get(id))).toEqual(ids('GUIDANCE_ACTIONS').map(() => 'guidance'));
    expect(ids('RETENTION_ACTIONS').map((id) => family.get(id))).toEqual(ids('RETENTION_ACTIONS').map(() => 'retention'));
    // And no guidance or retention action is left out.
    expect([...family].filter(([, f]) => f === 'guidance').map(([id]) => id).sort()).toEqual([...ids('GUIDANCE_ACTIONS')].sort());
    expect([...family].filter(([, f]) => f === 'retention').map(([id]) => id).sort()).toEqual([...ids('RETENTION_ACTIONS')].sort());
  });
});
