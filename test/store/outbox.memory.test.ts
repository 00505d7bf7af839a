import { MemoryOutbox } from '../../src/store/memory/outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract('memory', async () => new MemoryOutbox());
