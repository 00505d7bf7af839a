import { MemoryCatalogueStore } from '../../src/store/memory/catalogueStore.js';
import { catalogueStoreContract } from './catalogueStore.contract.js';

catalogueStoreContract('memory', async () => new MemoryCatalogueStore());
