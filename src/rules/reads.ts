/**
 * Which inputs a rule reads, from its parsed tree (not its text: a name inside a string
 * literal or a comprehension's own variable is not a read).
 */
import { everyNodeScoped, type AstNode } from './ast.js';

/** What a rule reads. */
export interface RuleReads {
  /** Every free variable the rule names (`customer`, `profile`, `event` …). */
  readonly variables: ReadonlySet<string>;
  /** Each chain of plain field reads from a variable, as dotted paths (`profile.idle_cash`, `event.payload.amount`). */
  readonly paths: readonly string[];
  /** Variables read as a whole: indexed (`profile["x"]`), iterated, passed to a function, or compared. */
  readonly whole: ReadonlySet<string>;
}

/** The reads of a parsed rule. */
export function readsOf(root: AstNode): RuleReads {
  const variables = new Set<string>();
  const paths = new Set<string>();
  const whole = new Set<string>();
  everyNodeScoped(root, (n, parent, bound) => {
    if (n.op !== 'id' || bound.has(n.args as string)) return;
    const name = n.args as string;
    variables.add(name);
    // Walk up the chain of `.field` selections that start at this variable.
    const chain = [name];
    let at: AstNode = n;
    let up = parent(at);
    while (up && (up.op === '.' || up.op === '.?') && (up.args as unknown[])[0] === at) {
      chain.push((up.args as unknown[])[1] as string);
      at = up;
      up = parent(at);
    }
    if (chain.length === 1) whole.add(name);
    else paths.add(chain.join('.'));
  });
  return { variables, paths: [...paths].sort(), whole };
}

/** The first field read from `variable` by each path (`profile.idle_cash` gives `idle_cash`), sorted. */
export function fieldsRead(reads: RuleReads, variable: string): string[] {
  const out = new Set<string>();
  for (const p of reads.paths) {
    const [root, field] = p.split('.');
    if (root === variable && field !== undefined) out.add(field);
  }
  return [...out].sort();
}
