/**
 * The log consumers, in one list: every piece of derived state the engine keeps follows
 * the event log from its own checkpoint (docs/architecture.md, "the log is the spine").
 * A new one (the trigger engine, the delivery outbox, experiment exposure) is a
 * `LogConsumer` added here, and named in FRESH_FOR if a read must wait for it.
 */
import type { Decisioning } from '../decisioning/index.js';
import type { OnlineFeatureStore } from '../features/index.js';
import type { LogConsumer } from '../store/consumer.js';

/** The consumers the engine runs, from the parts that own them. */
export function logConsumers(
  parts: { features: OnlineFeatureStore; decisioning: Decisioning; journeys?: LogConsumer | undefined; triggers?: LogConsumer | undefined; deliveries: LogConsumer },
  extra: readonly LogConsumer[] = [],
): LogConsumer[] {
  return [
    // Online feature profiles (checkpointed with their snapshots).
    parts.features,
    // Response links to decisions and decline cool-downs.
    parts.decisioning.responses,
    // The bandit's posteriors and session tallies (in memory, from its snapshot and the log after it; idle without a budget or bandit arm).
    parts.decisioning.bandit,
    // Journeys: a response or a consent withdrawal ends them (before triggers: an erasure truncates triggers.db's WAL after both).
    ...(parts.journeys ? [parts.journeys] : []),
    // Triggers: event rules that ask decisioning for a decision to deliver (after features reach their batch).
    ...(parts.triggers ? [parts.triggers] : []),
    // Deliveries: consent withdrawals cancel pending ones; failed receipts release their contacts.
    parts.deliveries,
    // Next: experiment exposure.
    ...extra,
  ];
}

/** Which consumers a read waits for, so it sees the customer's latest event (read-your-writes). */
export const FRESH_FOR = {
  profile: ['features'],
  decide: ['features', 'responses', 'bandit'],
  decision: ['responses'],
} as const satisfies Record<string, readonly string[]>;
