// src/text: small text helpers shared by the builders and the executors (no I/O).
import { UserError } from '../core/errors';

/**
 * Templates with `{{name}}` placeholders (build scripts, Dockerfiles). An
 * unknown placeholder is an error naming it, the template and the line, so a
 * typo in a user's template fails before any container starts. Anything else
 * in braces (an engine's `{{.Id}}` format string) is left as it is.
 */
export class TemplateError extends UserError {}

export interface RenderOptions {
  /** Drop a line that holds only a placeholder rendering to nothing (Dockerfiles); default false. */
  dropEmptyPlaceholderLines?: boolean;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const ONLY_PLACEHOLDER = /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;

/**
 * Replaces each `{{name}}` with `values[name]`. `source` names the template
 * in errors (e.g. a file path). Every unknown placeholder is reported, with
 * its line, in one TemplateError that also lists the known ones.
 */
export function renderTemplate(
  template: string,
  values: Record<string, string>,
  source: string,
  options: RenderOptions = {},
): string {
  const unknown: string[] = [];
  const lines: string[] = [];
  template.split('\n').forEach((line, index) => {
    const only = ONLY_PLACEHOLDER.exec(line);
    if (options.dropEmptyPlaceholderLines && only && values[only[1]] === '') return;
    lines.push(
      line.replace(PLACEHOLDER, (match, name: string) => {
        if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
        unknown.push(`${source}:${index + 1}: unknown placeholder {{${name}}}`);
        return match;
      }),
    );
  });
  if (unknown.length > 0) {
    const known = Object.keys(values)
      .map((k) => `{{${k}}}`)
      .join(', ');
    throw new TemplateError(`${unknown.join('; ')}. Known placeholders: ${known}.`);
  }
  return lines.join('\n');
}
