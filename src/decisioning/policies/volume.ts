/** Volume: daily capacity per channel and per action across all customers (e.g. call-centre slots). */
import type { CapacityTake } from '../../store/contactStore.js';
import type { Catalogue } from '../catalogue.js';
import type { CompiledAction } from '../compile.js';
import { definePolicy, type BuiltInPolicy, type PolicyExclusion, type SelectionCheck, type SelectionScope } from './policy.js';

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
  select: (s) => new VolumeSelection(s),
});

/** The volume counters while choosing: refuse() works out an action's counters, take() right after it takes them. */
class VolumeSelection implements SelectionCheck<'volume'> {
  private pending: CapacityTake[] = [];

  constructor(private readonly s: SelectionScope) {}

  refuse(a: CompiledAction): PolicyExclusion<'volume'> | undefined {
    const s = this.s;
    this.pending = capacityFor(s.cat.catalogue, a.action, s.channel, s.now);
    const full = this.pending.find((k) => s.full.has(k.key));
    if (!full) return undefined;
    return { kind: 'volume', rule: full.key.startsWith('channel:') ? 'channel_capacity' : 'action_capacity', reason: `daily capacity reached (${full.max} for ${full.key.split(':').slice(0, 2).join(' ')})` };
  }

  take(): void {
    for (const take of this.pending) if (!this.s.capacity.some((c) => c.key === take.key)) this.s.capacity.push(take);
  }
}
