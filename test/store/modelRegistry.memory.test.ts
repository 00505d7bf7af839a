import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { modelRegistryContract } from './modelRegistry.contract.js';

modelRegistryContract('memory', async () => new MemoryModelRegistry());
