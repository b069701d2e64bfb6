import { shellJoin } from './shell';
import { TemplateError, renderTemplate } from './template';

describe('renderTemplate', () => {
  it('keeps lines by default (build scripts), drops empty placeholder-only lines on request (Dockerfiles)', () => {
    expect(renderTemplate('a\n  {{x}}\nb {{ y }}', { x: '', y: '1' }, 's')).toBe('a\n  \nb 1');
    expect(renderTemplate('a\n  {{x}}\nb {{ y }}', { x: '', y: '1' }, 's', { dropEmptyPlaceholderLines: true })).toBe(
      'a\nb 1',
    );
  });

  it('names every unknown placeholder with source and line, and lists the known ones', () => {
    expect(() => renderTemplate('ok\n{{nope}} {{x}}\n{{.Id}} {{typo}}', { x: '1' }, 'tpl.sh')).toThrow(
      new TemplateError(
        'tpl.sh:2: unknown placeholder {{nope}}; tpl.sh:3: unknown placeholder {{typo}}. Known placeholders: {{x}}.',
      ),
    );
  });
});

describe('shellJoin', () => {
  it('quotes only what needs it', () => {
    expect(shellJoin(['conda', 'install', 'samtools>=1.9', "it's", ''])).toBe(
      "conda install 'samtools>=1.9' 'it'\\''s' ''",
    );
  });
});
