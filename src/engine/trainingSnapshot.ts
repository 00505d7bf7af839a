/**
 * The training snapshot's log consumer (docs/decisions/0021-training-snapshot-follows-the-log.md):
 * appends every event the engine applies to the columnar snapshot training reads, so
 * `nextbest train` on a served or ingested data dir reads only the log after it instead of
 * scanning the whole log. Erasures remove the customer's rows at once. Its checkpoint is the
 * snapshot's own last log position (kept with the files), so a restart resumes from there.
 * Not run for the memory store (nothing is kept across processes; a training run extends it).
 */
import type { LogConsumer } from '../store/consumer.js';
import type { ModelLifecycle } from '../training/index.js';

export function trainingSnapshotConsumer(lifecycle: ModelLifecycle): LogConsumer {
  const follower = lifecycle.snapshotFollower();
  return {
    name: 'training-snapshot',
    open: () => follower.open(),
    apply: (events) => follower.apply(events),
    erase: async (customerId) => lifecycle.eraseFromSnapshot(customerId),
    close: async () => follower.flush(),
  };
}
