import { afterAll, describe } from 'vitest';
import { PgApiKeyStore } from '../../src/store/postgres/apiKeyStore.js';
import { PgConsumerCheckpoints } from '../../src/store/postgres/consumerCheckpoints.js';
import { PgCatalogueStore } from '../../src/store/postgres/catalogueStore.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { PgCustomerStore } from '../../src/store/postgres/customerStore.js';
import { PgDecisionLog } from '../../src/store/postgres/decisionLog.js';
import { PgEventLog } from '../../src/store/postgres/eventLog.js';
import { PgExperimentStore } from '../../src/store/postgres/experimentStore.js';
import { PgModelRegistry } from '../../src/store/postgres/modelRegistry.js';
import { PgProfileStore } from '../../src/store/postgres/profileStore.js';
import { PgRejectStore } from '../../src/store/postgres/rejectStore.js';
import { apiKeyStoreContract } from '../store/apiKeyStore.contract.js';
import { consumerCheckpointsContract } from '../store/consumerCheckpoints.contract.js';
import { catalogueStoreContract } from '../store/catalogueStore.contract.js';
import { contactStoreContract } from '../store/contactStore.contract.js';
import { customerStoreContract } from '../store/customerStore.contract.js';
import { decisionLogContract } from '../store/decisionLog.contract.js';
import { eventLogContract } from '../store/eventLog.contract.js';
import { experimentStoreContract } from '../store/experimentStore.contract.js';
import { modelRegistryContract } from '../store/modelRegistry.contract.js';
import { profileStoreContract } from '../store/profileStore.contract.js';
import { rejectStoreContract } from '../store/rejectStore.contract.js';
import { openPgPool, type PgPool } from '../../src/store/postgres/db.js';
import { dropSchemas, freshSchema, PG_URL, recycledSchema } from './pg.js';
import { serviceAvailable } from './services.js';

const available = await serviceAvailable('PostgreSQL', 5432);

/** Every open() gets an empty migrated schema no other store is using (recycled once the adapter's close ended its pool). */
const on = <T>(make: (pool: PgPool) => T) => async () => make(await recycledSchema({ max: 4 }));
const owned = { ownsPool: true };

describe.skipIf(!available)('the store contracts on PostgreSQL (127.0.0.1:5432)', () => {
  afterAll(dropSchemas);
  eventLogContract('postgres', on((p) => new PgEventLog(p, owned)));
  customerStoreContract('postgres', on((p) => new PgCustomerStore(p, owned)));
  rejectStoreContract('postgres', on((p) => new PgRejectStore(p, owned)));
  profileStoreContract('postgres', on((p) => new PgProfileStore(p, owned)));
  contactStoreContract('postgres', on((p) => new PgContactStore(p, owned)));
  decisionLogContract('postgres', on((p) => new PgDecisionLog(p, owned)));
  modelRegistryContract('postgres', on((p) => new PgModelRegistry(p, owned)));
  catalogueStoreContract('postgres', on((p) => new PgCatalogueStore(p, owned)));
  experimentStoreContract('postgres', on((p) => new PgExperimentStore(p, owned)));
  apiKeyStoreContract('postgres', async () => {
    const { pool, schema } = await freshSchema({ max: 2 });
    return { store: new PgApiKeyStore(pool, owned), reopen: async () => new PgApiKeyStore(openPgPool({ url: PG_URL, schema, max: 2 }), owned) };
  });
  consumerCheckpointsContract('postgres', async () => ({ store: new PgConsumerCheckpoints(await recycledSchema({ max: 2 }), owned) }));
});
