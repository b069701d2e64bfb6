/** extra: additional-platforms (bioconda's rule for the platforms a recipe is built for besides linux-64). */
import { isCondaPlatform, shownValue } from '../../core/platforms';
import type { Check, Hit } from '../types';

export const unknownAdditionalPlatform: Check = {
  name: 'unknown_additional_platform',
  severity: 'error',
  message: 'extra: additional-platforms holds a value that is not a conda platform: fix its spelling',
  run(r) {
    const list = r.extra['additional-platforms'];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list))
      return [
        {
          path: ['extra', 'additional-platforms'],
          message: `extra: additional-platforms must be a list of conda platforms (e.g. [linux-aarch64, osx-arm64]), got ${shownValue(list)}`,
        },
      ];
    const hits: Hit[] = [];
    list.forEach((value, i) => {
      if (!isCondaPlatform(value))
        hits.push({
          path: ['extra', 'additional-platforms', i],
          message:
            `extra: additional-platforms holds ${shownValue(value)}, which is not a conda platform ` +
            `(linux-aarch64, osx-arm64, ...): fix its spelling (the recipe is not built there)`,
        });
    });
    return hits;
  },
};

export const platformChecks: Check[] = [unknownAdditionalPlatform];
