import { randomBytes } from 'node:crypto';
import type { Backend } from '../backend.js';
import { MemoryAuditLog } from '../memory/auditLog.js';
import { MemoryApiKeyStore } from '../memory/apiKeyStore.js';
import { MemoryCatalogueStore } from '../memory/catalogueStore.js';
import { MemoryConsumerCheckpoints } from '../memory/consumerCheckpoints.js';
import { MemoryContactStore } from '../memory/contactStore.js';
import { MemoryCustomerStore } from '../memory/customerStore.js';
import { MemoryDecisionLog } from '../memory/decisionLog.js';
import { MemoryEventLog } from '../memory/eventLog.js';
import { MemoryExperimentStore } from '../memory/experimentStore.js';
import { MemoryModelRegistry } from '../memory/modelRegistry.js';
import { MemoryOutbox } from '../memory/outbox.js';
import { MemoryProfileStore } from '../memory/profileStore.js';
import { MemoryRejectStore } from '../memory/rejectStore.js';

/** Every port in memory: tests and simulations; nothing survives the process. */
export function openMemoryBackend(): Backend {
  const tombstoneKey = randomBytes(32);
  const outbox = new MemoryOutbox();
  const ports = {
    eventLog: new MemoryEventLog(),
    customers: new MemoryCustomerStore(tombstoneKey),
    rejects: new MemoryRejectStore(),
    profiles: new MemoryProfileStore(),
    contacts: new MemoryContactStore(outbox),
    outbox,
    decisionLog: new MemoryDecisionLog(),
    models: new MemoryModelRegistry(),
    checkpoints: new MemoryConsumerCheckpoints(),
    catalogues: new MemoryCatalogueStore(),
    experiments: new MemoryExperimentStore(),
    apiKeys: new MemoryApiKeyStore(),
    audit: new MemoryAuditLog(),
  };
  let closed = false;
  return {
    kind: 'memory',
    ...ports,
    tombstoneKey,
    compact: async () => true,
    async close() {
      if (closed) return;
      closed = true;
      for (const p of Object.values(ports)) await p.close();
    },
  };
}
