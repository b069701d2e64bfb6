/** bioconda's library rule: a package others build against pins them with run_exports (opt-in). */
import { isMapping } from '../../recipes/common';
import type { Check } from '../types';

export const missingRunExports: Check = {
  name: 'missing_run_exports',
  severity: 'error',
  optIn: true,
  message: "pin what links against this package: add build: run_exports: - {{ pin_subpackage('name', max_pin='x') }}",
  run(r) {
    const runExports =
      r.format === 'recipe'
        ? isMapping(r.doc.requirements)
          ? r.doc.requirements.run_exports
          : undefined
        : r.build.run_exports;
    if (runExports !== undefined && runExports !== null) return [];
    return [{ path: r.format === 'recipe' ? ['requirements'] : ['build'] }];
  },
};
