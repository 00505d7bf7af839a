import { MemoryCustomerStore } from '../../src/store/memory/customerStore.js';
import { customerStoreContract } from './customerStore.contract.js';

customerStoreContract('memory', async () => new MemoryCustomerStore());
