/**
 * The catalogue as stored versions: how a process reads the version in force from a
 * CatalogueStore (seeding an empty store), compiles a stored version, and what an edit
 * carries. The Decisioning component (service.ts) keeps the compiled version in force;
 * CatalogueVersions moves it.
 */
import type { Clock } from '../core/clock.js';
import { NextbestError, ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import type { CatalogueSource, CatalogueStore } from '../store/catalogueStore.js';
import { Catalogue as CatalogueSchema, parseCatalogue, type Catalogue } from './catalogue.js';
import { compileCatalogue, type CompiledCatalogue } from './compile.js';
import { KeyedMutex } from './mutex.js';

/** How often, by default, a process asks the store whether another process changed the catalogue. */
export const CATALOGUE_REFRESH_MS = 1000;

/** Who made an edit and from which version. */
export interface CatalogueEdit {
  author?: string | null;
  source?: CatalogueSource;
  /** The version the editor read (HTTP If-Match): CONFLICT when another is current by now. */
  expectedVersion?: string;
}

/** What syncing with the store found on start. */
export interface CatalogueSync {
  /** The version in force now. */
  version: string;
  /** The version of the catalogue this process was given (config YAML or the built-in one). */
  seedVersion: string;
  /** The store was empty and the given catalogue became its first version (or there is no store). */
  seeded: boolean;
  /** The given catalogue differs from the stored current one and was never stored: it is not in force. */
  seedIgnored: boolean;
}

/**
 * The store's current version; an empty store first gets `seed` as its first version. Two
 * processes starting on one empty store both try; the loser's CONFLICT is expected and it
 * reads the winner's version.
 */
export async function currentOrSeed(store: CatalogueStore, seed: CompiledCatalogue, now: number): Promise<string> {
  const current = await store.currentVersion();
  if (current !== undefined) return current;
  try {
    await store.commit({ version: seed.version, catalogue: seed.catalogue, createdAt: now, author: null, source: 'config' }, null);
    return seed.version;
  } catch (e) {
    if (!(e instanceof NextbestError && e.code === 'CONFLICT')) throw e;
    const winner = await store.currentVersion();
    if (winner === undefined) throw e;
    return winner;
  }
}

/**
 * Compiles a stored catalogue and checks that it is the version it is stored under: a body
 * that hashes to another id would make every decision log a version that is not the one it used.
 */
export function compileStored(version: string, body: unknown): CompiledCatalogue {
  const compiled = compileCatalogue(parseCatalogue(body));
  if (compiled.version !== version) throw new NextbestError('INTERNAL', `catalogue version ${version} holds content whose version is ${compiled.version}`);
  return compiled;
}

/** The CONFLICT of an edit based on a version that is no longer current (If-Match). */
export function editConflict(expected: string, current: string): NextbestError {
  return new NextbestError('CONFLICT', `the catalogue is at version ${current}, not ${expected} which this edit was based on; read it again and retry`, { expected, current });
}

/** What CatalogueVersions needs from the component that holds the catalogue in force. */
export interface CatalogueHolder {
  clock: Clock;
  refreshMs: number;
  inForce(): CompiledCatalogue;
  /** Puts a compiled catalogue in force (its levers with it). */
  use(compiled: CompiledCatalogue): void;
  /** A stored version, compiled (cached by the holder). */
  snapshot(version: string): Promise<CompiledCatalogue>;
}

/**
 * Keeps a process's catalogue in step with the store: re-reads the current version at most
 * every `refreshMs` of the clock (a clock that went backwards counts as stale), and turns
 * edits into stored versions by compare-and-set. Reads and edits take turns, so a slow read
 * never puts an older version back over this process's newer edit. Without a store, edits
 * live in this process only.
 */
export class CatalogueVersions {
  /** When the store's current version was last read (clock ms). */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private readonly lock = new KeyedMutex();
  private refreshing: Promise<void> | undefined;
  /** The version of the catalogue the holder was built with (config YAML). */
  private seedVersion: string | undefined;

  constructor(
    private readonly store: CatalogueStore | undefined,
    private readonly holder: CatalogueHolder,
  ) {}

  /** True when the store should be asked again for its current version. */
  stale(): boolean {
    if (!this.store) return false;
    const age = this.holder.clock.now() - this.checkedAt;
    return !(age >= 0 && age < this.holder.refreshMs);
  }

  /** Re-reads the current version if stale (or forced); concurrent callers share one read. */
  async refresh(force: boolean): Promise<void> {
    if (!this.store || (!force && !this.stale())) return;
    this.refreshing ??= this.lock.run('catalogue', () => this.load()).finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  /** Seeds an empty store or reads its current version; says whether the seed was set aside. */
  async sync(): Promise<CatalogueSync> {
    this.seedVersion ??= this.holder.inForce().version;
    const seeded = !this.store || (await this.store.currentVersion()) === undefined;
    await this.refresh(true);
    const version = this.holder.inForce().version;
    const seedIgnored = version !== this.seedVersion && (await this.store?.get(this.seedVersion)) === undefined;
    return { version, seedVersion: this.seedVersion, seeded, seedIgnored };
  }

  /**
   * Applies an edit to the current catalogue: checked, compiled, stored as a new version and
   * made current by compare-and-set, then put in force. An edit racing another process's
   * gets CONFLICT and changes nothing.
   */
  async edit(change: (current: Catalogue) => unknown, o: CatalogueEdit): Promise<CompiledCatalogue> {
    return this.lock.run('catalogue', async () => {
      await this.load();
      const base = this.holder.inForce();
      if (o.expectedVersion !== undefined && o.expectedVersion !== base.version) throw editConflict(o.expectedVersion, base.version);
      const parsed = CatalogueSchema.safeParse(change(base.catalogue));
      if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
      const compiled = compileCatalogue(parsed.data);
      await this.store?.commit({ version: compiled.version, catalogue: compiled.catalogue, createdAt: this.holder.clock.now(), author: o.author ?? null, source: o.source ?? 'api' }, base.version);
      this.holder.use(compiled);
      return compiled;
    });
  }

  /** Reads the store's current version (seeding an empty store) and puts it in force if it changed. Under the lock. */
  private async load(): Promise<void> {
    if (!this.store) return;
    this.seedVersion ??= this.holder.inForce().version;
    const now = this.holder.clock.now();
    const version = await currentOrSeed(this.store, this.holder.inForce(), now);
    this.checkedAt = now;
    if (version !== this.holder.inForce().version) this.holder.use(await this.holder.snapshot(version));
  }
}
