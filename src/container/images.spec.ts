import { parseInspectLine } from './images';

describe('parseInspectLine', () => {
  it('reads the id and the string labels of `{{.Id}} {{json .Config.Labels}}`', () => {
    const parsed = parseInspectLine('sha256:abc {"nx-conda":"package","n":1,"x":"y z"}\n');
    expect(parsed?.id).toBe('sha256:abc');
    expect([...(parsed?.labels ?? [])]).toEqual([
      ['nx-conda', 'package'],
      ['x', 'y z'],
    ]);
  });

  it('takes an image without labels (null) as no labels', () => {
    expect(parseInspectLine('abc123 null')).toEqual({ id: 'abc123', labels: new Map() });
  });

  it('refuses what is not an id and a label object', () => {
    expect(parseInspectLine('')).toBeUndefined();
    expect(parseInspectLine('sha256:abc')).toBeUndefined();
    expect(parseInspectLine('sha256:abc {not json')).toBeUndefined();
    expect(parseInspectLine('sha256:abc ["a"]')).toBeUndefined();
    expect(parseInspectLine(' {"a":"b"}')).toBeUndefined();
  });

  it('keeps label names as Map keys, never object keys', () => {
    const parsed = parseInspectLine('id {"__proto__":"x","constructor":"y"}');
    expect(parsed?.labels.get('__proto__')).toBe('x');
    expect(parsed?.labels.get('constructor')).toBe('y');
  });
});
