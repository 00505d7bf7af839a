/** The narrow faces the engine offers to the API and the CLI, instead of its live components. */
import type { CatalogueEdit, Decisioning } from '../decisioning/index.js';
import type { OnlineFeatureStore } from '../features/index.js';
import type { ConsumerRunner } from '../store/logConsumers.js';

/**
 * `engine.catalogue`: the actions and the business levers, read and edited. Every edit is a
 * stored catalogue version (`edit.expectedVersion` makes it a compare-and-set: CONFLICT when
 * another edit came first); reads follow the store's current version, whichever process moved it.
 */
export function catalogueFacade(d: Decisioning) {
  return {
    /** The version in force in this process (re-read from the store at most every second by decisions). */
    get catalogueVersion() {
      return d.catalogueVersion;
    },
    get catalogue() {
      return d.catalogue;
    },
    actions: () => d.actions(),
    action: (id: string) => d.action(id),
    putAction: (input: unknown, edit?: CatalogueEdit) => d.putAction(input, edit),
    deleteAction: (id: string, edit?: CatalogueEdit) => d.deleteAction(id, edit),
    replaceCatalogue: (input: unknown, edit?: CatalogueEdit) => d.replaceCatalogue(input, edit),
    getLevers: () => d.getLevers(),
    setLevers: (input: unknown, edit?: CatalogueEdit) => d.setLevers(input, edit),
    /** The catalogue in force, re-read from the store when a second has passed (or with `force`). */
    refresh: (o: { force?: boolean } = {}) => d.refreshCatalogue(o),
    /** One stored version's catalogue (the one in force by default), for export. */
    at: (version?: string) => d.catalogueAt(version),
    /** Stored versions, most recent first, and the one in force. */
    versions: (limit?: number) => d.catalogueVersions(limit),
    /** Checks and compiles a catalogue without storing it; its version, or VALIDATION_FAILED naming the rule. */
    validate: (input: unknown) => d.validateCatalogue(input),
  };
}

/** `engine.features`: the definitions in use (profiles are read through `engine.profile`). */
export function featuresFacade(f: OnlineFeatureStore) {
  return {
    get version() {
      return f.features.version;
    },
    get info() {
      return f.features.info;
    },
    /** The definitions themselves (offline builders and the CLI read them). */
    get definitions() {
      return f.features;
    },
    get customersInMemory() {
      return f.customersInMemory;
    },
    /** The online store's memory budget: customers held, the cap, and states dropped to the store. */
    get memory() {
      return f.memory;
    },
  };
}

/** `engine.consumers`: the log consumers' lag and health. */
export function consumersFacade(c: ConsumerRunner) {
  return {
    status: () => c.status(),
    /** True when every consumer is healthy (not stuck, not far behind). */
    healthy: () => c.status().every((s) => s.healthy),
    /** Waits until every consumer has applied the log as it is now (tests, tools). */
    caughtUp: (timeoutMs = 30_000) => c.forHead([...c.status().map((s) => s.name)], timeoutMs),
    /** Test hook: lets consumers paused by `EngineDeps.pauseConsumers` go on. */
    resume: (names?: readonly string[]) => c.resume(names),
  };
}
