import { MemoryConsumerCheckpoints } from '../../src/store/memory/consumerCheckpoints.js';
import { consumerCheckpointsContract } from './consumerCheckpoints.contract.js';

consumerCheckpointsContract('memory', async () => ({ store: new MemoryConsumerCheckpoints() }));
