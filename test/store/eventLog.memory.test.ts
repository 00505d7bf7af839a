import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { eventLogContract } from './eventLog.contract.js';

eventLogContract('memory', async () => new MemoryEventLog());
