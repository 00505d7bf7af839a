/** The narrow faces the engine offers to the API and the CLI, instead of its live components. */
import type { Decisioning } from '../decisioning/index.js';
import type { OnlineFeatureStore } from '../features/index.js';
import type { LogConsumers } from '../store/logConsumers.js';

/** `engine.catalogue`: the actions and the business levers, read and edited. */
export function catalogueFacade(d: Decisioning) {
  return {
    get catalogueVersion() {
      return d.catalogueVersion;
    },
    get catalogue() {
      return d.catalogue;
    },
    actions: () => d.actions(),
    action: (id: string) => d.action(id),
    putAction: (input: unknown) => d.putAction(input),
    deleteAction: (id: string) => d.deleteAction(id),
    replaceCatalogue: (input: unknown) => d.replaceCatalogue(input),
    getLevers: () => d.getLevers(),
    setLevers: (input: unknown) => d.setLevers(input),
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
  };
}

/** `engine.consumers`: the log consumers' lag and health. */
export function consumersFacade(c: LogConsumers) {
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
