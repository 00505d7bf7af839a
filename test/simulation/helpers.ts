import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BankEvent } from '../../src/core/events.js';
import { parseScenario, type ScenarioInput } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';

/** A fresh temporary directory for one test's output. */
export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `nextbest-twin-${name}-`));

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
