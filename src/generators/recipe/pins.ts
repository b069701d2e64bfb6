/** bioconda's run_exports pin: `x` from 1.0 on (semantic versioning), `x.x` for 0.x releases. */
export function majorPin(version: string): 'x' | 'x.x' {
  return /^0(\.|$)/.test(version) ? 'x.x' : 'x';
}
