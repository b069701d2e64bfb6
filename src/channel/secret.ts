/**
 * A random secret kept in a folder no container mounts, for what a build
 * container must not be able to forge or guess: the names of our locks
 * (lock.ts) and the marker files of the folders a run makes (run markers in
 * executors/recipe-build). A workspace's secret is `tmp/nx-conda/secret`
 * (STAGING_FOLDER: never a build's mount; a shared staging channel may not
 * overlap it); a shared staging channel's is in its control folder beside it
 * (`<dir>.nx-conda/secret`), so that every workspace sharing it agrees.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGING_FOLDER } from '../core/defaults';
import { ensureRealDir, readRegularFile, UnsafeFileError } from './safe-fs';

const SECRET_FILE = 'secret';
const SECRET_BYTES = 32;
const cache = new Map<string, Buffer>();

function readSecret(file: string): Buffer | undefined {
  const bytes = readRegularFile(file, 'reading the secret');
  if (bytes === undefined) return undefined;
  if (bytes.length !== SECRET_BYTES * 2 || !/^[0-9a-f]+$/.test(bytes.toString('latin1')))
    throw new UnsafeFileError(`${file} is not a secret nx-conda wrote: remove it (nx-conda makes a new one).`);
  if ((lstatSync(file).mode & 0o077) !== 0)
    throw new UnsafeFileError(`${file} can be read by other users: remove it (nx-conda makes a new one, mode 0600).`);
  return Buffer.from(bytes.toString('latin1'), 'hex');
}

/**
 * The secret of the folder `dir` (made on first use, mode 0600, by a hard link
 * of a complete temporary file, so concurrent first users agree on one).
 */
export function secretIn(dir: string): Buffer {
  const file = join(dir, SECRET_FILE);
  const known = cache.get(file);
  if (known) return known;
  ensureRealDir(dir);
  let secret = readSecret(file);
  if (!secret) {
    const temp = join(dir, `.${SECRET_FILE}-${process.pid}-${randomBytes(6).toString('hex')}`);
    writeFileSync(temp, randomBytes(SECRET_BYTES).toString('hex'), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(temp, { force: true });
    }
    secret = readSecret(file)!;
  }
  cache.set(file, secret);
  return secret;
}

/** The workspace's secret (`tmp/nx-conda/secret`). */
export function workspaceSecret(root: string): Buffer {
  return secretIn(join(root, STAGING_FOLDER));
}

/** A keyed hash of `text` (hex). */
export function keyedHash(secret: Buffer, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Whether `mac` is the keyed hash of `text`, compared in constant time. */
export function isKeyedHash(secret: Buffer, text: string, mac: string): boolean {
  const expected = Buffer.from(keyedHash(secret, text));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** For tests: forget the secrets read. */
export function forgetSecrets(): void {
  cache.clear();
}
