/**
 * The change a bump makes, as a unified diff: a bump replaces values within
 * lines and never adds or removes one, so the lines pair up by number.
 */
export function lineDiff(file: string, before: string, after: string, context = 1): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length)
    return [`--- a/${file}`, `+++ b/${file}`, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)];
  const changed = a.map((line, i) => line !== b[i]);
  const out = [`--- a/${file}`, `+++ b/${file}`];
  let i = 0;
  while (i < a.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // A hunk runs while the next change is within 2 × context lines.
    while (end < a.length && changed.slice(end, end + 2 * context + 1).some(Boolean)) end++;
    end = Math.min(a.length, end + context);
    out.push(`@@ -${start + 1},${end - start} +${start + 1},${end - start} @@`);
    for (let j = start; j < end; j++) {
      if (changed[j]) out.push(`-${a[j]}`, `+${b[j]}`);
      else out.push(` ${a[j]}`);
    }
    i = end;
  }
  return out;
}
