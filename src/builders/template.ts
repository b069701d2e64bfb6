/**
 * Build scripts are written from templates with `{{name}}` placeholders.
 * An unknown placeholder is an error naming it, the template and the line,
 * so a typo in a user's template fails before any container starts.
 */
export class TemplateError extends Error {}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

export function renderTemplate(template: string, values: Record<string, string>, source: string): string {
  return template
    .split('\n')
    .map((line, index) =>
      line.replace(PLACEHOLDER, (_match, name: string) => {
        if (!(name in values)) {
          throw new TemplateError(
            `${source}:${index + 1}: unknown placeholder {{${name}}}. Known placeholders: ${Object.keys(values)
              .map((k) => `{{${k}}}`)
              .join(', ')}.`,
          );
        }
        return values[name];
      }),
    )
    .join('\n');
}
