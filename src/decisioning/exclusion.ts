/** Why an action fell out of a decision (a leaf module: the compiled catalogue prebuilds these). */

/** Why an action fell out: the built-in checks first, then the catalogue's rule kinds. */
export type ExclusionKind = 'validity' | 'channel' | 'consent' | 'eligibility' | 'applicability' | 'suitability' | 'contact' | 'volume' | 'arbitration';

export interface Exclusion {
  kind: ExclusionKind;
  /** The rule's name (shared policy, `<action>#<n>`, or a built-in such as `quiet_hours`). */
  rule: string;
  reason: string;
  /** Set when a CEL rule failed at run time (it then fails closed). */
  error?: string;
}
