import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadModel, treeExplainer } from '../../src/models/gbdt/index.js';
import { compileCatalogue, DECISION_FORMAT_VERSION, FeatureRows, GbdtScorer, replayRecord, type DecisionRecord } from '../../src/decisioning/index.js';
import { rebuildRecord, restoredRecord, sameExplanation, storedRecord } from '../../src/decisioning/service.js';
import { isStoredDecision, packRecord, profileKeysRef, unpackRecord, type StoredDecision } from '../../src/decisioning/storedRecord.js';
import { GOLDEN, runCase, type GoldenCase } from './golden.js';
import { scenarioCatalogue } from './rig.js';

// Golden decision traces (STYLE.md 9): regenerate with `npx tsx test/decisioning/golden.ts --write`
// only when a change to decisions is intended, and say why in the commit.
const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { formatVersion: number; model: unknown; cases: { case: GoldenCase; record: DecisionRecord }[] };
const modelText = JSON.stringify(golden.model);

describe('golden decision traces (format 1)', () => {
  it('carry the current format version', () => {
    expect(golden.formatVersion).toBe(DECISION_FORMAT_VERSION);
    for (const c of golden.cases) expect(c.record.formatVersion).toBe(DECISION_FORMAT_VERSION);
    expect(golden.cases.length).toBeGreaterThanOrEqual(4);
  });

  for (const c of golden.cases) {
    it(`decides as recorded: ${c.case.name}`, async () => {
      expect(await runCase(c.case, modelText)).toEqual(c.record);
    });

    it(`replays from the logged record alone: ${c.case.name}`, () => {
      const model = loadModel(modelText);
      const scorer = new GbdtScorer({ families: { investment: { version: 'golden-fund@1', model }, savings: { version: 'golden-saver@1', model } } });
      const cat = compileCatalogue(scenarioCatalogue());
      expect(cat.version).toBe(c.record.catalogueVersion);
      const replay = replayRecord(cat, c.record, scorer);
      expect(replay.differences).toEqual([]);
    });
  }

  it('a replay with a different model version reports the difference', () => {
    const withModel = golden.cases.find((c) => Object.keys(c.record.models).length > 0)!;
    const replay = replayRecord(compileCatalogue(scenarioCatalogue()), withModel.record, new GbdtScorer({}));
    expect(replay.identical).toBe(false);
    expect(replay.differences).toContain('model for fund: logged golden-fund@1, now none');
  });

  it('the SHAP contributions of the winner sum with the bias to its margin', () => {
    const c = golden.cases[0]!;
    const winner = c.record.explanation.winner!;
    // All three model features are in the top 3, so nothing is left out of the sum.
    expect(winner.topContributions.map((x) => x.feature).sort()).toEqual(['card_spend_30d', 'idle_cash', 'logins_30d']);
    const model = loadModel(modelText);
    const scorer = new GbdtScorer({ families: { investment: { version: 'v', model } } });
    const p = scorer.score({ id: 'fund', family: 'investment', purpose: 'marketing', productRisk: 2, value: 200, credit: false, targetedSupport: true }, new FeatureRows(c.case.profile))!.propensity;
    const margin = Math.log(p / (1 - p));
    const sum = treeExplainer(model).bias + winner.topContributions.reduce((s, x) => s + x.contribution, 0);
    expect(Math.abs(margin - sum)).toBeLessThan(1e-9);
    expect(c.record.candidates.find((t) => t.actionId === 'fund')!.propensity).toBeCloseTo(p, 12);
  });
});

describe('replay compares SHAP contributions within 1e-9', () => {
  const base = golden.cases.find((c) => (c.record.explanation.winner?.topContributions.length ?? 0) > 0)!.record.explanation;
  const nudged = (by: number) => ({ ...base, winner: { ...base.winner!, topContributions: base.winner!.topContributions.map((c, i) => (i === 0 ? { ...c, contribution: c.contribution * (1 + by) } : c)) } });

  it('treats last-bit differences between exact TreeSHAP algorithms as the same', () => {
    expect(sameExplanation(base, nudged(1e-15))).toBe(true);
  });

  it('reports a real difference in a contribution, a feature or the wording', () => {
    expect(sameExplanation(base, nudged(1e-6))).toBe(false);
    const renamed = { ...base, winner: { ...base.winner!, topContributions: base.winner!.topContributions.map((c, i) => (i === 0 ? { ...c, feature: 'other' } : c)) } };
    expect(sameExplanation(base, renamed)).toBe(false);
    expect(sameExplanation(base, { ...base, winner: { ...base.winner!, customerSentence: 'changed' } })).toBe(false);
  });
});

describe('the decision log stores records without the repeated exclusion list', () => {
  it('restores every golden record to the same bytes, and reads records stored whole as they are', () => {
    for (const c of golden.cases) {
      const stored = storedRecord(c.record);
      expect(stored.explanation.excluded).toBeUndefined();
      expect(JSON.stringify(restoredRecord(stored))).toBe(JSON.stringify(c.record));
      expect(restoredRecord(c.record)).toBe(c.record);
    }
    const big = golden.cases.find((c) => c.record.explanation.excluded.length > 0)!.record;
    expect(JSON.stringify(storedRecord(big)).length).toBeLessThan(JSON.stringify(big).length);
  });
});

describe('the decision log stores records compactly (storedRecord.ts) and rebuilds them exactly', () => {
  it('every golden record packs to its inputs and scores, and rebuilds on its catalogue to the same bytes', () => {
    const cat = compileCatalogue(scenarioCatalogue());
    for (const c of golden.cases) {
      const keys = Object.keys(c.record.inputs.profile);
      // Through JSON, as every log stores it.
      const stored = JSON.parse(JSON.stringify(packRecord(c.record, profileKeysRef(keys)))) as StoredDecision;
      expect(isStoredDecision(stored)).toBe(true);
      expect(stored.record).not.toHaveProperty('candidates');
      expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(c.record).length / 2);
      expect(JSON.stringify(rebuildRecord(cat, unpackRecord(stored, keys)))).toBe(JSON.stringify(c.record));
    }
  });

  it('keeps the inputs exactly: contacts grouped by decision, as columns or as they are when they do not fit', () => {
    const c = golden.cases.find((x) => x.record.chosen.length > 0)!;
    const keys = Object.keys(c.record.inputs.profile);
    const contact = (k: number, extra: Record<string, unknown> = {}) => ({ decisionId: `d${k}`, actionId: 'saver', family: 'savings', channel: 'email', at: 1_700_000_000_000 + k, ...extra });
    const pair = (k: number, extra: Record<string, unknown> = {}) => [contact(k, extra), { ...contact(k, extra), actionId: 'card', family: 'cards' }];
    for (const history of [
      { contacts: [contact(1), contact(2), contact(3)], declines: [{ actionId: 'saver', family: 'savings', at: 5 }] },
      { contacts: [contact(1), contact(2, { sessionId: 's1' })], declines: [] },
      { contacts: [contact(1, { sessionId: undefined }), contact(2)], declines: [] },
      { contacts: [contact(1, { sessionId: null })], declines: [] },
      // One decision's contacts at two times, on two channels, in two sessions, and apart: each its own group, in order.
      { contacts: [...pair(1), contact(1, { at: 9 }), { ...contact(1), channel: 'sms' }, ...pair(1, { sessionId: 's1' }), ...pair(1, { sessionId: 's2' }), contact(2), ...pair(1)], declines: [] },
    ]) {
      const record = { ...c.record, inputs: { ...c.record.inputs, history } } as DecisionRecord;
      const stored = JSON.parse(JSON.stringify(packRecord(record, profileKeysRef(keys)))) as StoredDecision;
      expect(JSON.stringify(unpackRecord(stored, keys).record.inputs)).toBe(JSON.stringify(record.inputs));
    }
    const packed = (contacts: unknown[]) => (JSON.parse(JSON.stringify(packRecord({ ...c.record, inputs: { ...c.record.inputs, history: { contacts, declines: [] } } } as DecisionRecord, 'k'))) as { record: { inputs: { history: { contacts: unknown } } } }).record.inputs.history.contacts;
    // A decision's n contacts share one id, channel, time and session: stored once per decision.
    expect(packed([...pair(1), contact(2, { sessionId: 's' })])).toEqual({ groups: [['d1', 'email', 1_700_000_000_001, null, 'saver', 'savings', 'card', 'cards'], ['d2', 'email', 1_700_000_000_002, 's', 'saver', 'savings']] });
    // Contacts with other keys than the store's keep the column form.
    expect(packed([contact(1, { note: 'x' }), contact(2, { note: 'y' })])).toEqual({ cols: ['decisionId', 'actionId', 'family', 'channel', 'at', 'note'], rows: [['d1', 'saver', 'savings', 'email', 1_700_000_000_001, 'x'], ['d2', 'saver', 'savings', 'email', 1_700_000_000_002, 'y']] });
  });

  it('a record stored in the earlier form (format 2, contacts as columns) still reads back exactly', () => {
    const c = golden.cases.find((x) => x.record.chosen.length > 0 && x.record.inputs.history.contacts.length > 0) ?? golden.cases.find((x) => x.record.chosen.length > 0)!;
    const keys = Object.keys(c.record.inputs.profile);
    const contacts = [{ decisionId: 'd1', actionId: 'saver', family: 'savings', channel: 'email', at: 1 }];
    const record = { ...c.record, inputs: { ...c.record.inputs, history: { contacts, declines: [] } } } as DecisionRecord;
    const stored = JSON.parse(JSON.stringify(packRecord(record, profileKeysRef(keys)))) as StoredDecision;
    const v2 = { ...stored, stored: 2, record: { ...stored.record, inputs: { ...stored.record.inputs, history: { contacts: { cols: ['decisionId', 'actionId', 'family', 'channel', 'at'], rows: [['d1', 'saver', 'savings', 'email', 1]] }, declines: [] } } } } as unknown as StoredDecision;
    expect(isStoredDecision(v2)).toBe(true);
    expect(JSON.stringify(unpackRecord(v2, keys).record.inputs)).toBe(JSON.stringify(record.inputs));
  });

  it('a record that no longer rebuilds to its logged choice is an error, not a silent rewrite', () => {
    const c = golden.cases.find((x) => x.record.chosen.length > 0)!;
    const keys = Object.keys(c.record.inputs.profile);
    const stored = JSON.parse(JSON.stringify(packRecord(c.record, profileKeysRef(keys)))) as StoredDecision;
    stored.chosenIds = ['something_else'];
    expect(() => rebuildRecord(compileCatalogue(scenarioCatalogue()), unpackRecord(stored, keys))).toThrow(/does not rebuild/);
    expect(() => unpackRecord(stored, keys.slice(1))).toThrow(/profile has/);
  });
});
