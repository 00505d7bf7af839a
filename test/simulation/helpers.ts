import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BankEvent } from '../../src/core/events.js';
import { parseScenario, type ScenarioInput } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';

const made: string[] = [];

/** A fresh temporary directory for one test's output (removed by removeTempDirs). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nextbest-twin-${name}-`));
  made.push(dir);
  return dir;
}

/** Removes the directories tempDir made; call from afterAll. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs a small twin and returns every day's events (objects) and the twin. */
export function runTwin(input: ScenarioInput): { twin: Twin; days: BankEvent[][] } {
  const twin = new Twin(parseScenario(input));
  const days: BankEvent[][] = [];
  for (let d = 0; d < twin.scenario.days; d++) {
    twin.beginDay(d);
    days.push(twin.events(twin.finishDay()));
  }
  return { twin, days };
}
