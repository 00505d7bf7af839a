import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/core/events.js';
import { BanditSettings } from '../../src/decisioning/bandit.js';
import { BanditLearner, type BanditSnapshots } from '../../src/decisioning/banditLearner.js';
import { response, rig } from './rig.js';

const settings = BanditSettings.parse({ channels: { in_app: 0.5 }, model: 'linear', features: ['idle_cash'] });

/** Thirty decisions with their responses (some in sessions, some accepted), as the event log would hold them. */
async function history() {
  const { d, customer, log, iso, clock } = rig({ bandit: settings });
  const all: StoredEvent[] = [];
  let seq = 0;
  for (let k = 0; k < 30; k++) {
    customer({ customerId: `c${k % 12}` }, { idle_cash: (k % 7) * 900 });
    const r = await d.decide({ customerId: `c${k % 12}`, channel: 'in_app', ...(k % 3 === 0 ? { sessionId: `s${k % 4}` } : {}) });
    const chosen = r.chosen[0];
    if (!chosen) continue;
    const es = [response(`c${k % 12}`, r.decisionId, chosen.actionId, 'shown', iso())];
    if (k % 4 === 1) es.push(response(`c${k % 12}`, r.decisionId, chosen.actionId, 'accepted', iso()));
    for (const event of es) all.push({ seq: ++seq, t: Date.parse(event.occurredAt), recordedAt: clock.now(), event });
    clock.advance(60_000);
  }
  const events = { head: async () => all.at(-1)!.seq, readAfter: async (after: number, limit: number) => all.filter((e) => e.seq > after).slice(0, limit) };
  const decision = (id: string) => d.loggedDecision(id);
  return { log, decision, all, events };
}

function memorySnapshots(): BanditSnapshots & { saved?: string } {
  const s: BanditSnapshots & { saved?: string } = {
    load: async () => s.saved,
    save: async (x) => void (s.saved = x),
  };
  return s;
}

describe('the bandit learner', () => {
  it('restarts from its snapshot to exactly the state a rebuild from the whole log reaches, and replays an overlap without double counting', async () => {
    const { decision, all } = await history();
    expect(all.length).toBeGreaterThan(30);
    const full = new BanditLearner({ decision, settings, enabled: true });
    expect(await full.open()).toBe(0);
    await full.apply(all);
    expect([...full.actionTotals().values()].reduce((a, t) => a + t.successes, 0)).toBeGreaterThan(0);

    const snapshots = memorySnapshots();
    const first = new BanditLearner({ decision, settings, enabled: true, snapshots });
    expect(await first.open()).toBe(0);
    await first.apply(all.slice(0, 20));
    await first.close();
    expect(snapshots.saved).toBeDefined();
    const second = new BanditLearner({ decision, settings, enabled: true, snapshots });
    // The runner replays only what came after the snapshot's seq.
    expect(await second.open()).toBe(all[19]!.seq);
    await second.apply(all.slice(20));
    expect(JSON.parse(second.snapshot())).toEqual(JSON.parse(full.snapshot()));
    // A crash between applying and saving replays events again: nothing moves.
    await second.apply(all.slice(10));
    expect(JSON.parse(second.snapshot())).toEqual(JSON.parse(full.snapshot()));
    const profile = { idle_cash: 1800 };
    for (const [actionId] of full.actionTotals()) expect(second.linear(actionId, profile)).toEqual(full.linear(actionId, profile));
  });

  it('does not use a snapshot learnt under other settings: the log is replayed from the start', async () => {
    const { decision, all } = await history();
    const snapshots = memorySnapshots();
    const a = new BanditLearner({ decision, settings, enabled: true, snapshots });
    await a.open();
    await a.apply(all);
    await a.close();
    const other = new BanditLearner({ decision, settings: BanditSettings.parse({ ...settings, features: ['idle_cash', 'income_90d'] }), enabled: true, snapshots });
    expect(await other.open()).toBe(0);
    expect(other.actionTotals().size).toBe(0);
  });

  it('learns nothing while disabled (decisions need not wait for it), and enabling it builds the posteriors from the log', async () => {
    const { decision, all, events } = await history();
    const full = new BanditLearner({ decision, settings, enabled: true });
    await full.apply(all);
    const off = new BanditLearner({ decision, settings, events });
    expect(off.enabled).toBe(false);
    // Nothing to replay at start: it reads the log itself if it is ever enabled.
    expect(await off.open()).toBe(all.at(-1)!.seq);
    await off.apply(all.slice(-3));
    expect(off.actionTotals().size).toBe(0);
    await Promise.all([off.enable(), off.enable()]);
    expect(off.enabled).toBe(true);
    expect(JSON.parse(off.snapshot())).toEqual(JSON.parse(full.snapshot()));
  });

  it('a decisioning component with no budget on any channel starts with the learner disabled', async () => {
    expect(rig().d.bandit.enabled).toBe(false);
    expect(rig({ bandit: settings }).d.bandit.enabled).toBe(true);
  });
});
