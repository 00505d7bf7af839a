import { userInfo } from 'node:os';

/** Who acts from the command line, for the audit trail: the operating-system user. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}
