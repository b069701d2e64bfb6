/** Every check, in the order findings are reported, and the configuration that turns them on, off or up. */
import { buildChecks } from './checks/build';
import { completenessChecks } from './checks/completeness';
import { noarchChecks } from './checks/noarch';
import { platformChecks } from './checks/platforms';
import { repositoryChecks } from './checks/repository';
import { missingRunExports } from './checks/run-exports';
import { syntaxChecks } from './checks/syntax';
import type { LintConfig } from './config';
import type { Check, Severity } from './types';

export const CHECKS: readonly Check[] = [
  ...syntaxChecks,
  ...completenessChecks,
  ...buildChecks,
  ...noarchChecks,
  ...platformChecks,
  missingRunExports,
  ...repositoryChecks,
];

export const CHECK_NAMES: ReadonlySet<string> = new Set(CHECKS.map((c) => c.name));

const RULE_SETTINGS = new Set<string>(['off', 'info', 'warning', 'error']);

export type { LintConfig } from './config';

/** Each check that runs, with its severity: defaults, then the configured rules. Unknown names are reported, not fatal. */
export function activeChecks(config: LintConfig | undefined): {
  checks: { check: Check; severity: Severity }[];
  problems: string[];
} {
  const rules = new Map<string, string>();
  const problems: string[] = [];
  const given = config?.rules && typeof config.rules === 'object' ? config.rules : {};
  for (const [name, setting] of Object.entries(given)) {
    if (!CHECK_NAMES.has(name)) problems.push(`lint.rules: unknown check ${JSON.stringify(name)} (ignored)`);
    else if (typeof setting !== 'string' || !RULE_SETTINGS.has(setting))
      problems.push(`lint.rules.${name}: ${JSON.stringify(setting)} is not one of off, info, warning, error (ignored)`);
    else rules.set(name, setting);
  }
  const checks: { check: Check; severity: Severity }[] = [];
  for (const check of CHECKS) {
    const setting = rules.get(check.name);
    if (setting === 'off' || (setting === undefined && check.optIn)) continue;
    checks.push({ check, severity: (setting as Severity | undefined) ?? check.severity });
  }
  return { checks, problems };
}
