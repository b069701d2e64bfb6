import { downloadFailure } from './network-failure';

describe('downloadFailure (issue 30, point 4)', () => {
  it("names the configured channel of rattler-build's failed download", () => {
    const lines = [
      ' │ ╰─────────┴─────────╯',
      ' ⚠ failed to download and extract http://127.0.0.1:4000/ch/noarch/upa-1.0.0-h4616a5c_0.conda to /root/.cache/x: an io error occurred: error decoding response body. Retry #1',
      ' × error: build of upb-2.0.0 failed:',
      ' │ PyRattlerBuildError: Could not collect run exports',
    ];
    expect(downloadFailure(lines, ['conda-forge', 'http://127.0.0.1:4000/ch'])).toEqual({
      channel: 'http://127.0.0.1:4000/ch',
      line: expect.stringMatching(/^failed to download and extract http:\/\/127\.0\.0\.1:4000\/ch\/noarch\/upa/),
    });
  });

  it("names conda's HTTP error, resolving a channel name against the default alias", () => {
    const lines = [
      'CondaHTTPError: HTTP 503 SERVICE UNAVAILABLE for url <https://conda.anaconda.org/conda-forge/noarch/repodata.json>',
    ];
    expect(downloadFailure(lines, ['conda-forge'])?.channel).toBe('conda-forge');
  });

  it('names the URL without subdir and file when no configured channel holds it, credentials masked', () => {
    const lines = [
      "requests.exceptions.ChunkedEncodingError: ('Connection broken: IncompleteRead(10 bytes read)') for https://user:pw@mirror.example.org/c/linux-64/x-1-0.conda",
    ];
    expect(downloadFailure(lines, [])?.channel).toBe('https://***@mirror.example.org/c');
  });

  it('says nothing of a recipe error', () => {
    expect(downloadFailure(['make: *** [all] Error 2', 'error: no such file http.c'], ['conda-forge'])).toBeUndefined();
  });
});
