/**
 * What decisioning needs to know of an experiment arm: the record's `experiment` field and
 * the lever weights a `levers` arm lays over those in force. The arm itself is chosen in
 * src/experiments/ (which decisioning may not import); the engine passes it in.
 */
import type { z } from 'zod';
import { ActionFamily, type Levers } from './catalogue.js';
import type { DecisionExperimentSchema } from './record.js';

export type DecisionExperiment = z.infer<typeof DecisionExperimentSchema>;

/** The levers in force with the arm's weights laid over them; unknown family names are ignored. */
export function withArmLevers(inForce: Levers, arm: NonNullable<DecisionExperiment['levers']>): Levers {
  const families = { ...inForce.families };
  for (const [f, w] of Object.entries(arm.families ?? {})) {
    const family = ActionFamily.safeParse(f);
    if (family.success) families[family.data] = w;
  }
  return { families, actions: { ...inForce.actions, ...arm.actions } };
}
