/** Volume: daily capacity per channel and per action across all customers (e.g. call-centre slots). */
import type { CapacityTake } from '../../store/contactStore.js';
import type { Catalogue } from '../catalogue.js';
import { definePolicy, type BuiltInPolicy } from './policy.js';

/** The volume counters an action on a channel takes on the decision's day (UTC). */
export function capacityFor(catalogue: Catalogue, action: { id: string; dailyCapacity?: number | undefined }, channel: string, now: number): CapacityTake[] {
  const perChannel = catalogue.contactPolicy.channelDailyCapacity[channel as never] as number | undefined;
  if (perChannel === undefined && action.dailyCapacity === undefined) return [];
  const day = new Date(now).toISOString().slice(0, 10);
  const out: CapacityTake[] = [];
  if (perChannel !== undefined) out.push({ key: `channel:${channel}:${day}`, max: perChannel });
  if (action.dailyCapacity !== undefined) out.push({ key: `action:${action.id}:${day}`, max: action.dailyCapacity });
  return out;
}

export const volume: BuiltInPolicy<'volume', false> = definePolicy({
  kind: 'volume',
  catalogueRules: false,
  select: (s) => {
    // refuse() works out the counters; take() right after it takes the same ones.
    let pending: CapacityTake[] = [];
    return {
      refuse: (a) => {
        pending = capacityFor(s.cat.catalogue, a.action, s.channel, s.now);
        const full = pending.find((k) => s.full.has(k.key));
        if (!full) return undefined;
        return { kind: 'volume', rule: full.key.startsWith('channel:') ? 'channel_capacity' : 'action_capacity', reason: `daily capacity reached (${full.max} for ${full.key.split(':').slice(0, 2).join(' ')})` };
      },
      take: () => {
        for (const take of pending) if (!s.capacity.some((c) => c.key === take.key)) s.capacity.push(take);
      },
    };
  },
});
