import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { parseConfig } from '../../src/config.js';

describe('drift → retrain from the config', () => {
  afterEach(() => vi.useRealTimers());

  it('is off by default and names the field when a setting is wrong', () => {
    expect(parseConfig({}).models.drift).toEqual({ everyMinutes: 0, days: 30, retrain: false, retrainDays: 120, promote: false });
    expect(() => parseConfig({ models: { drift: { everyMinutes: -1 } } })).toThrow(/models\.drift\.everyMinutes/);
  });

  it('schedules the drift check the config asks for, with the engine\'s lifetime', async () => {
    // Only the interval timers are faked: the engine's I/O runs as usual.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, models: { drift: { everyMinutes: 5, retrain: true } } });
    try {
      expect(engine.drift.latest()).toBeUndefined();
      vi.advanceTimersByTime(5 * 60_000);
      await vi.waitFor(() => expect(engine.drift.latest()).toBeDefined());
      // No champion yet: nothing to report, nothing drifted.
      expect(engine.drift.latest()!.reports).toEqual([]);
    } finally {
      await engine.close();
    }
    const quiet = await createEngine({ store: 'memory', log: { level: 'silent' } });
    try {
      vi.advanceTimersByTime(60 * 60_000);
      expect(quiet.drift.latest()).toBeUndefined();
    } finally {
      await quiet.close();
    }
  });
});
