import { MemoryRejectStore } from '../../src/store/memory/rejectStore.js';
import { rejectStoreContract } from './rejectStore.contract.js';

rejectStoreContract('memory', async () => new MemoryRejectStore());
