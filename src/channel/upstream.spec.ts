import { channelUrl, normalizeChannels } from './upstream';

describe('normalizeChannels', () => {
  it('keeps names and URLs in order, without trailing slashes or duplicates', () => {
    expect(
      normalizeChannels([
        'http://127.0.0.1:8000/up/',
        'conda-forge',
        'my-org/label/dev',
        'conda-forge',
        'file:///srv/ch',
        's3://b/p',
      ]),
    ).toEqual(['http://127.0.0.1:8000/up', 'conda-forge', 'my-org/label/dev', 'file:///srv/ch', 's3://b/p']);
  });
  it('takes a comma-separated string from the command line', () => {
    expect(normalizeChannels('a,https://x.org/b')).toEqual(['a', 'https://x.org/b']);
  });
  it('names a bad entry', () => {
    expect(() => normalizeChannels(['ok', 'not a channel'])).toThrow(/"not a channel" is not a channel name/);
    expect(() => normalizeChannels({ a: 1 })).toThrow(/must be a list/);
  });
  it('resolves names against the channel alias', () => {
    expect(channelUrl('bioconda')).toBe('https://conda.anaconda.org/bioconda');
    expect(channelUrl('https://x.org/ch/')).toBe('https://x.org/ch');
  });
});
