/** Findings as people and tools read them: text lines grouped by recipe, JSON, SARIF 2.1.0. */
import { CHECKS } from './registry';
import type { Finding } from './types';

/** Text that reaches a terminal: no control characters from a recipe. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** One line per finding, under a header line per recipe file. */
export function textReport(recipeFile: string, findings: Finding[]): string[] {
  if (findings.length === 0) return [`${printable(recipeFile)}: no findings`];
  const lines = [`${printable(recipeFile)}:`];
  for (const f of findings)
    lines.push(`  ${printable(f.file)}:${f.line}: ${f.severity} ${f.check}: ${printable(f.message)}`);
  return lines;
}

export function summaryLine(findings: Finding[]): string {
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  return `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info`;
}

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** SARIF 2.1.0, as code-scanning UIs read it. */
export function sarifReport(findings: Finding[], version: string): object {
  const used = new Set(findings.map((f) => f.check));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'nx-conda lint-recipe',
            version,
            rules: CHECKS.filter((c) => used.has(c.name)).map((c) => ({
              id: c.name,
              shortDescription: { text: c.message },
              defaultConfiguration: { level: SARIF_LEVEL[c.severity] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.check,
          level: SARIF_LEVEL[f.severity],
          message: { text: f.message },
          locations: [{ physicalLocation: { artifactLocation: { uri: f.file }, region: { startLine: f.line } } }],
        })),
      },
    ],
  };
}
