/**
 * A build that failed because a download from a channel failed (a reset, a
 * 5xx, a body that stopped) is the network's fault, not the recipe's: the
 * builder's own lines say so, and name the URL.
 */
import { maskCredentials } from '../../container';
import { channelUrl } from '../../channel/upstream';

/** Lines of conda (conda-build) and rattler-build that say a download failed, with the URL in group 1. */
const DOWNLOAD_FAILED = [
  // rattler-build: `⚠ failed to download and extract http://…/noarch/x-1-0.conda to …: an io error occurred: …`
  /failed to download(?: and extract)? (https?:\/\/[^\s<>]+)/i,
  // conda: `CondaHTTPError: HTTP 503 SERVICE UNAVAILABLE for url <http://…/noarch/repodata.json>`
  /CondaHTTPError: HTTP \d{3}\b.*? for url <(https?:\/\/[^\s<>]+)>/,
  // conda (requests/urllib3): `ConnectionResetError… ('Connection broken: …') … url: http://…`
  /(?:ChunkedEncodingError|ConnectionError|IncompleteRead|ProtocolError|ConnectionResetError)\b.*?(https?:\/\/[^\s<>'")]+)/,
];

export interface DownloadFailure {
  /** The configured channel the URL belongs to, else the URL without its subdir and file (credentials masked). */
  channel: string;
  /** The builder's line, trimmed and shortened. */
  line: string;
}

/** The first download failure the lines name, if any. */
export function downloadFailure(lines: string[], channels: string[]): DownloadFailure | undefined {
  for (const line of lines) {
    for (const pattern of DOWNLOAD_FAILED) {
      const url = pattern.exec(line)?.[1];
      if (!url) continue;
      const channel = channels.find((c) => url.startsWith(`${channelUrl(c)}/`)) ?? url.replace(/\/[^/]*\/[^/]*$/, ''); // …/<subdir>/<file>: the channel is what is before
      const shown = line.replace(/^[\s│|⚠×]+/u, '').trim();
      return {
        channel: maskCredentials(channel),
        line: maskCredentials(shown.length > 300 ? `${shown.slice(0, 300)}…` : shown),
      };
    }
  }
  return undefined;
}
