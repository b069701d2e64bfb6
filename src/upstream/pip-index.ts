/**
 * The package index the user's pip is configured with: an explicit URL,
 * else PIP_INDEX_URL, else `index-url` of pip's configuration files, in
 * pip's order. No index is assumed: nx-conda names none.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UpstreamError } from './errors';

/** pip's configuration files, the one that wins last (pip reads site < user < PIP_CONFIG_FILE). */
export function pipConfigFiles(env: NodeJS.ProcessEnv, home = homedir()): string[] {
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return [
    '/etc/pip.conf',
    '/etc/xdg/pip/pip.conf',
    join(home, '.pip', 'pip.conf'),
    join(xdg, 'pip', 'pip.conf'),
    ...(env.PIP_CONFIG_FILE ? [env.PIP_CONFIG_FILE] : []),
  ];
}

/** `index-url` of an INI file's `[global]` (or `[install]`) section. */
export function indexUrlOfConfig(ini: string): string | undefined {
  let section = '';
  let found: string | undefined;
  for (const raw of ini.split(/\r?\n/).slice(0, 10_000)) {
    const line = raw.trim();
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) section = s[1].trim().toLowerCase();
    else if (section === 'global' || section === 'install') {
      const m = /^index[-_]url\s*[=:]\s*(\S+)\s*$/i.exec(line);
      if (m && (section === 'install' || found === undefined)) found = m[1];
    }
  }
  return found;
}

export interface PipIndex {
  /** Where the JSON API is asked (`<base>/pypi/<name>/json`): the index URL without its `/simple`. */
  base: string;
  /** Where it came from, for messages. */
  from: string;
}

function readConfig(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').slice(0, 1024 * 1024);
  } catch {
    return undefined;
  }
}

/** The index to ask; throws an UpstreamError saying how to set one when there is none. */
export function pipIndex(given: string | undefined, env: NodeJS.ProcessEnv, read = readConfig): PipIndex {
  let url: string | undefined;
  let from = '';
  if (given?.trim()) [url, from] = [given.trim(), '--indexUrl'];
  else if (env.PIP_INDEX_URL?.trim()) [url, from] = [env.PIP_INDEX_URL.trim(), 'PIP_INDEX_URL'];
  else
    for (const file of pipConfigFiles(env)) {
      const text = read(file);
      const found = text === undefined ? undefined : indexUrlOfConfig(text);
      if (found) [url, from] = [found, file];
    }
  if (!url)
    throw new UpstreamError(
      'no package index to ask: give --indexUrl=<your index URL>, or set PIP_INDEX_URL or index-url in pip.conf (nx-conda assumes none).',
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UpstreamError(`the package index ${url} (from ${from}) is not a URL.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new UpstreamError(`the package index ${url} (from ${from}) is not an http(s) URL.`);
  return { base: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '').replace(/\/simple$/, '')}`, from };
}
