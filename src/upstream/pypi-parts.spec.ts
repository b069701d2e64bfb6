import { indexUrlOfConfig, pipIndex } from './pip-index';
import { condaRequirement } from './python-requirements';
import { buildSystemRequires, sdistFacts } from './sdist';

describe('PEP 508 requirements as conda match specs', () => {
  it('normalizes and maps names, keeps specifiers, drops extras-only requirements and says what it drops', () => {
    expect(condaRequirement('requests (>=2.0,<3)')).toEqual({ spec: 'requests >=2.0,<3' });
    expect(condaRequirement('Typing_Extensions>=4')).toEqual({ spec: 'typing_extensions >=4' });
    expect(condaRequirement('torch==2.1.*')).toEqual({ spec: 'pytorch ==2.1.*' });
    expect(condaRequirement('numpy[extra] ~= 1.24')).toEqual({ spec: 'numpy ~=1.24' });
    expect(condaRequirement('pytest; extra == "test"')).toEqual({ note: 'pytest; extra == "test": only for an extra' });
    expect(condaRequirement('pywin32; sys_platform == "win32"')).toEqual({
      spec: 'pywin32',
      note: 'pywin32; sys_platform == "win32": the marker "sys_platform == "win32"" was dropped',
    });
    expect(condaRequirement('pkg @ https://example.org/pkg.zip').note).toMatch(/a URL requirement/);
    expect(condaRequirement('odd ===1.0').note).toMatch(/not carried over/);
  });
});

describe('pip’s index', () => {
  const none = () => undefined;
  it('takes --indexUrl, then PIP_INDEX_URL, then pip.conf, and asks the JSON API beside /simple', () => {
    expect(
      pipIndex('https://i.example.invalid/simple/', { PIP_INDEX_URL: 'https://other.example.invalid' }, none),
    ).toEqual({
      base: 'https://i.example.invalid',
      from: '--indexUrl',
    });
    expect(pipIndex(undefined, { PIP_INDEX_URL: 'https://i.example.invalid/root/pypi/+simple' }, none).base).toBe(
      'https://i.example.invalid/root/pypi/+simple',
    );
    const conf = (path: string) =>
      path === '/cfg/pip.conf' ? '[global]\nindex-url = https://conf.example.invalid/simple\n' : undefined;
    expect(pipIndex(undefined, { PIP_CONFIG_FILE: '/cfg/pip.conf', HOME: '/nowhere' }, conf)).toEqual({
      base: 'https://conf.example.invalid',
      from: '/cfg/pip.conf',
    });
  });

  it('says how to set one when there is none, and refuses what is not an http(s) URL', () => {
    expect(() => pipIndex(undefined, {}, none)).toThrow(/no package index to ask: give --indexUrl/);
    expect(() => pipIndex('file:///tmp/index', {}, none)).toThrow(/is not an http\(s\) URL/);
  });

  it('reads index-url of [global] and [install]', () => {
    expect(indexUrlOfConfig('[global]\ntimeout = 5\nindex-url=https://a.example.invalid/simple\n')).toBe(
      'https://a.example.invalid/simple',
    );
    expect(
      indexUrlOfConfig(
        '[global]\nindex-url = https://a.example.invalid\n[install]\nindex_url: https://b.example.invalid\n',
      ),
    ).toBe('https://b.example.invalid');
    expect(indexUrlOfConfig('[freeze]\nindex-url = https://c.example.invalid\n')).toBeUndefined();
  });
});

describe('sdist facts', () => {
  it('reads [build-system] requires without a TOML parser', () => {
    expect(
      buildSystemRequires(
        '[project]\nname="x"\n[build-system]\nrequires = [\n  "hatchling>=1.8",  # backend\n  \'hatch-vcs\',\n]\n[tool.x]\nrequires = ["no"]\n',
      ),
    ).toEqual(['hatchling>=1.8', 'hatch-vcs']);
    expect(buildSystemRequires('[project]\nname = "x"\n')).toEqual([]);
  });

  it('gives nothing for an archive it cannot read', () => {
    expect(sdistFacts(Buffer.from('not gzip'))).toEqual({ buildRequires: [], packages: [] });
  });
});
