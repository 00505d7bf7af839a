import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { profileStoreContract } from './profileStore.contract.js';

profileStoreContract('memory', async () => new MemoryProfileStore());
