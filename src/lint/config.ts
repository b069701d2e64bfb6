/**
 * The lint configuration as the graph reads it (no check is loaded here:
 * the graph only needs to know whether a lint reads the network).
 */
import type { RuleSetting } from './types';

/** The plugin option `lint`. */
export interface LintConfig {
  rules?: Record<string, RuleSetting>;
}

/** The checks that read the upstream channels: off unless a rule turns them on. */
export const REPOSITORY_CHECK_NAMES: readonly string[] = [
  'build_number_needs_bump',
  'build_number_needs_reset',
  'in_other_channels',
];

/** True when a repository check is on: such a lint depends on more than the recipe and is not cached. */
export function usesRepository(config: LintConfig | undefined): boolean {
  const rules = config?.rules ?? {};
  return REPOSITORY_CHECK_NAMES.some((n) => typeof rules[n] === 'string' && rules[n] !== 'off');
}
