import { idleGpu } from './idle-gpu';
import { idleInstance } from './idle-instance';
import { idleLoadBalancer } from './idle-load-balancer';
import { orphanedStorage } from './orphaned-storage';
import { oversizedInstance } from './oversized-instance';
import { stoppedInstanceStorage } from './stopped-instance-storage';
import type { Rule, RuleInput, RuleResult } from './types';
import { underusedGpu } from './underused-gpu';

/** Every rule, in the order their findings are listed. */
export const RULES: readonly Rule[] = [
  idleInstance,
  idleGpu,
  underusedGpu,
  oversizedInstance,
  orphanedStorage,
  stoppedInstanceStorage,
  idleLoadBalancer,
];

/** Runs every rule on the same input. */
export function runRules(input: RuleInput): RuleResult {
  const out: RuleResult = { findings: [], skipped: [] };
  for (const rule of RULES) {
    const r = rule(input);
    out.findings.push(...r.findings);
    out.skipped.push(...r.skipped);
  }
  return out;
}
