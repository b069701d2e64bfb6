import { registrationFor } from './registration';

describe('registrationFor', () => {
  it('finds the nx-conda registration that selects the recipe, the last one winning', () => {
    const nxJson = {
      plugins: [
        '@nx/js/typescript',
        { plugin: 'nx-conda', options: { channels: ['a'] } },
        { plugin: 'nx-conda', options: { channels: ['b'], skipExisting: true }, include: ['recipes/special/**'] },
      ],
    };
    expect(registrationFor(nxJson, 'recipes/foo', 'recipes/foo/meta.yaml')?.channels).toEqual(['a']);
    expect(registrationFor(nxJson, 'recipes/special/x', 'recipes/special/x/meta.yaml')).toMatchObject({
      channels: ['b'],
      skipExisting: true,
    });
  });

  it("honours the plugin's own include/exclude, a string entry, and no registration", () => {
    const nxJson = {
      plugins: ['nx-conda', { plugin: 'nx-conda', options: { channels: ['c'], exclude: ['recipes/old/**'] } }],
    };
    expect(registrationFor(nxJson, 'recipes/old/x', 'recipes/old/x/meta.yaml')?.channels).toEqual([]);
    expect(registrationFor(nxJson, 'recipes/new', 'recipes/new/meta.yaml')?.channels).toEqual(['c']);
    expect(registrationFor({ plugins: ['@nx/js'] }, 'r', 'r/meta.yaml')).toBeUndefined();
    expect(registrationFor(undefined, 'r', 'r/meta.yaml')).toBeUndefined();
  });
});
