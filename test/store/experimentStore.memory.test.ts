import { MemoryExperimentStore } from '../../src/store/memory/experimentStore.js';
import { experimentStoreContract } from './experimentStore.contract.js';

experimentStoreContract('memory', async () => new MemoryExperimentStore());
