/**
 * Project names.
 *
 * Rule: a project is named after its recipe's package name (lower-cased).
 * When several recipe folders have the same package name (for example old
 * versions kept in `recipes/foo/1.2/`), the shallowest folder (fewest path
 * segments; ties broken by the lexicographically first path) gets the bare
 * name `foo`; every other one is named `foo@<suffix>`, where `<suffix>` is
 * its folder path relative to the bare one's folder when nested inside it
 * (`recipes/foo/1.2` → `foo@1.2`), and its whole workspace-relative folder
 * path otherwise (`other/foo` → `foo@other/foo`). Conda package names cannot
 * contain `@`, and folder paths are unique, so names are unique; they depend
 * only on the set of recipe folders, never on which files changed.
 *
 * When another project of the workspace (not a recipe) already has the name
 * `foo`, no recipe gets it: every recipe providing `foo` is named
 * `foo@<its workspace-relative folder>` (Nx would refuse a graph with two
 * projects named `foo`). The same holds for a name Nx cannot give a project
 * at all (`constructor`: see recipes-state.ts), passed in `taken` too.
 */
export interface NamedRecipe {
  root: string;
  packageName: string;
}

function depth(root: string): number {
  return root === '.' || root === '' ? 0 : root.split('/').length;
}

function shallowFirst(a: string, b: string): number {
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Returns project name by recipe root. */
export function assignProjectNames(
  recipes: NamedRecipe[],
  taken: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const r of recipes) {
    const list = byName.get(r.packageName);
    if (list) list.push(r.root);
    else byName.set(r.packageName, [r.root]);
  }
  const names = new Map<string, string>();
  for (const [pkg, roots] of byName) {
    if (taken.has(pkg)) {
      for (const root of roots) names.set(root, `${pkg}@${root}`);
      continue;
    }
    if (roots.length === 1) {
      names.set(roots[0], pkg);
      continue;
    }
    roots.sort(shallowFirst);
    const bare = roots[0];
    names.set(bare, pkg);
    const prefix = bare === '.' || bare === '' ? '' : `${bare}/`;
    for (const root of roots.slice(1)) {
      const suffix = prefix === '' ? root : root.startsWith(prefix) ? root.slice(prefix.length) : root;
      names.set(root, `${pkg}@${suffix}`);
    }
  }
  return names;
}
