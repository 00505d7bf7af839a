/**
 * The binary operators of the CEL closure compiler (celCompile.ts), each written out per
 * operand shape (two computed values, or one and a literal) so that a rule such as
 * `profile.idle_cash >= 10000.0` is one closure call and not three. Every closure bails
 * (FALLBACK) on operand types it does not handle; a literal of a type an operator never
 * handles leaves the whole expression to the interpreter.
 */

/** The closure form of an expression. */
export type Compiled = (vars: Record<string, unknown>) => unknown;

/**
 * A compiled node. `raw` marks a value read from the variables that no operator has
 * inspected yet (it may be a Map or a function); `literal` holds a literal's value.
 */
export interface Part {
  run: Compiled;
  raw: boolean;
  literal?: { value: unknown };
}

/** Thrown by a closure for a value it does not handle; never escapes compileCel. */
export const FALLBACK: unique symbol = Symbol('cel fallback');

/** Gives the expression back to the interpreter. */
export const bail = (): never => {
  throw FALLBACK;
};

type Num = number | bigint;
const isNum = (v: unknown): v is Num => typeof v === 'number' || typeof v === 'bigint';

/**
 * A numeric literal as the double it equals exactly, or undefined. A double compares with
 * an int literal such as `18` (a bigint) exactly as with 18.0, and double against double
 * is V8's fast path where double against bigint is a runtime call.
 */
function asDouble(c: Num): number | undefined {
  if (typeof c === 'number') return c;
  const n = Number(c);
  return BigInt(n) === c ? n : undefined;
}

/** The closure for `l op r`, or undefined when the operator or a literal is outside the subset. */
export function binary(op: string, l: Part, r: Part): Compiled | undefined {
  switch (op) {
    case '==':
    case '!=':
      return equality(op === '!=', l, r);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return relational(op, l, r);
    case '+':
    case '-':
    case '*':
    case '/':
      return arithmetic(op, l, r);
    case 'in':
      return membership(l, r);
    default:
      return undefined;
  }
}

/**
 * Equality of two numbers, strings or booleans. Numbers use loose `==`, as cel-js does:
 * it is `===` for two doubles or two ints and exact between a double and an int.
 */
function equality(ne: boolean, l: Part, r: Part): Compiled | undefined {
  if (l.literal && !r.literal) [l, r] = [r, l];
  const x = l.run;
  if (r.literal) {
    const c = r.literal.value;
    const n = isNum(c) ? asDouble(c) : undefined;
    if (n !== undefined) {
      return (vars) => {
        const v = x(vars);
        if (typeof v === 'number') return (v === n) !== ne;
        return typeof v === 'bigint' ? (v == c) !== ne : bail();
      };
    }
    if (typeof c === 'string' || typeof c === 'boolean') {
      const t = typeof c;
      return (vars) => {
        const v = x(vars);
        return typeof v === t ? (v === c) !== ne : bail();
      };
    }
    if (!isNum(c)) return undefined;
  }
  const y = r.run;
  return (vars) => {
    const a = x(vars);
    const b = y(vars);
    if (isNum(a) && isNum(b)) return (a == b) !== ne;
    const t = typeof a;
    if (t === typeof b && (t === 'string' || t === 'boolean')) return (a === b) !== ne;
    return bail();
  };
}

const FLIP = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

/** Ordering of two numbers; double against int compares exactly in JS, and NaN compares false, as in cel-js. */
function relational(op: '<' | '<=' | '>' | '>=', l: Part, r: Part): Compiled | undefined {
  if ((l.literal && !isNum(l.literal.value)) || (r.literal && !isNum(r.literal.value))) return undefined;
  if (l.literal && !r.literal) [l, r, op] = [r, l, FLIP[op]];
  const x = l.run;
  if (r.literal) {
    const c = r.literal.value as Num;
    const n = asDouble(c);
    if (n !== undefined) {
      switch (op) {
        case '<':
          return (vars) => {
            const v = x(vars);
            if (typeof v === 'number') return v < n;
            return typeof v === 'bigint' ? v < c : bail();
          };
        case '<=':
          return (vars) => {
            const v = x(vars);
            if (typeof v === 'number') return v <= n;
            return typeof v === 'bigint' ? v <= c : bail();
          };
        case '>':
          return (vars) => {
            const v = x(vars);
            if (typeof v === 'number') return v > n;
            return typeof v === 'bigint' ? v > c : bail();
          };
        case '>=':
          return (vars) => {
            const v = x(vars);
            if (typeof v === 'number') return v >= n;
            return typeof v === 'bigint' ? v >= c : bail();
          };
      }
    }
  }
  const y = r.run;
  switch (op) {
    case '<':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return isNum(a) && isNum(b) ? a < b : bail();
      };
    case '<=':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return isNum(a) && isNum(b) ? a <= b : bail();
      };
    case '>':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return isNum(a) && isNum(b) ? a > b : bail();
      };
    case '>=':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return isNum(a) && isNum(b) ? a >= b : bail();
      };
  }
}

/** Double arithmetic only: int arithmetic has overflow and division-by-zero errors, left to cel-js. */
function arithmetic(op: '+' | '-' | '*' | '/', l: Part, r: Part): Compiled | undefined {
  if ((l.literal && typeof l.literal.value !== 'number') || (r.literal && typeof r.literal.value !== 'number')) return undefined;
  // + and * commute exactly in IEEE 754, so a literal on the left moves right.
  if (l.literal && !r.literal && (op === '+' || op === '*')) [l, r] = [r, l];
  const x = l.run;
  const y = r.run;
  if (r.literal) {
    const c = r.literal.value as number;
    switch (op) {
      case '+':
        return (vars) => {
          const v = x(vars);
          return typeof v === 'number' ? v + c : bail();
        };
      case '-':
        return (vars) => {
          const v = x(vars);
          return typeof v === 'number' ? v - c : bail();
        };
      case '*':
        return (vars) => {
          const v = x(vars);
          return typeof v === 'number' ? v * c : bail();
        };
      case '/':
        return (vars) => {
          const v = x(vars);
          return typeof v === 'number' ? v / c : bail();
        };
    }
  }
  switch (op) {
    case '+':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return typeof a === 'number' && typeof b === 'number' ? a + b : bail();
      };
    case '-':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return typeof a === 'number' && typeof b === 'number' ? a - b : bail();
      };
    case '*':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return typeof a === 'number' && typeof b === 'number' ? a * b : bail();
      };
    case '/':
      return (vars) => {
        const a = x(vars);
        const b = y(vars);
        return typeof a === 'number' && typeof b === 'number' ? a / b : bail();
      };
  }
}

/**
 * `s in list` for a string and a plain array of strings. cel-js picks the overload from
 * the list's first element and compares a string only to strings, so a list of anything
 * else bails.
 */
function membership(l: Part, r: Part): Compiled | undefined {
  if (l.literal && typeof l.literal.value !== 'string') return undefined;
  const y = r.run;
  const within = (s: string, list: unknown): boolean => {
    if (!Array.isArray(list) || list.constructor !== Array) return bail();
    let found = false;
    for (let i = 0; i < list.length; i++) {
      const item: unknown = list[i];
      if (typeof item !== 'string') return bail();
      if (item === s) found = true;
    }
    return found;
  };
  if (l.literal) {
    const s = l.literal.value as string;
    return (vars) => within(s, y(vars));
  }
  const x = l.run;
  return (vars) => {
    const s = x(vars);
    return typeof s === 'string' ? within(s, y(vars)) : bail();
  };
}
