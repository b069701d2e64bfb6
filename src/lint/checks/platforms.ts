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

export const additionalPlatformRequirement: Check = {
  name: 'additional_platform_requirement',
  severity: 'warning',
  message: 'a requirement on a platform the recipe lists is built by this tree for other platforms only',
  run(r) {
    const list = r.extra['additional-platforms'];
    const items = Array.isArray(list) ? list : [];
    return (r.platformGaps ?? []).map((g) => {
      const at = items.indexOf(g.platform);
      return {
        path: at >= 0 ? ['extra', 'additional-platforms', at] : ['extra'],
        message:
          `extra: additional-platforms lists ${g.platform}, but the recipe requires ${g.name} there, which ${g.provider} ` +
          `does not build for ${g.platform} (not noarch, and its additional-platforms does not list it): add ${g.platform} ` +
          `there, or the ${g.platform} build finds ${g.name} only in the upstream channels`,
      };
    });
  },
};

export const platformChecks: Check[] = [unknownAdditionalPlatform, additionalPlatformRequirement];
