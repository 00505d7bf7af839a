import { describe, it, expect } from 'vitest';
import { FeatureSet } from '../../src/features/featureSet.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { appendItems, generateEvents } from './generate.js';

describe('OnlineFeatureStore under concurrent reads', () => {
  const fs = FeatureSet.compile(BANK_PACK);

  it('many reads of a customer never seen, at once and while their first events are applied, neither throw nor lose an event', async () => {
    const { arrival } = generateEvents(7, { customers: 1, days: 20 });
    const id = arrival[0]!.customerId;
    const log = new MemoryEventLog();
    await log.appendMany(appendItems(arrival), 0);
    const events = await log.readAfter(0, arrival.length);
    const online = new OnlineFeatureStore(fs, new MemoryProfileStore());
    // 32 first reads at once (the first decisions of a new customer on a busy instance), with the consumer's apply among them.
    const reads = Array.from({ length: 32 }, () => online.profile(id));
    const [, ...profiles] = await Promise.all([online.onEvents(events), ...reads]);
    expect(profiles).toHaveLength(32);
    const after = await online.profile(id);
    const reference = new OnlineFeatureStore(fs, new MemoryProfileStore());
    await reference.onEvents(events);
    expect(after).toEqual(await reference.profile(id));
    expect(after.latestEventAt).not.toBeNull();
  });
});
