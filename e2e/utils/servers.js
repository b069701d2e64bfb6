// Small HTTP servers for the end-to-end tests, run as child processes (the
// tests drive Nx with spawnSync, which blocks their own event loop).
//
//   node servers.js static <dir>      a folder over HTTP (ETag, Last-Modified, 304s), like a channel host
//   node servers.js nx-cache <dir>    Nx's self-hosted remote cache (OpenAPI, Nx >= 20.8):
//                                     GET/PUT /v1/cache/{hash}, bearer token from NX_CACHE_TOKEN
//
// Prints `listening <port>` on its first line; each request is appended to
// <dir>.requests.log as `METHOD path status user-agent`.
'use strict';
const { createServer } = require('node:http');
const { createHash } = require('node:crypto');
const { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join, normalize, sep } = require('node:path');

const [mode, dir] = process.argv.slice(2);
if (!['static', 'nx-cache'].includes(mode) || !dir) {
  process.stderr.write('usage: node servers.js static|nx-cache <dir>\n');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const logFile = `${dir.replace(/\/+$/, '')}.requests.log`;

function done(req, res, status, body, headers = {}) {
  appendFileSync(logFile, `${req.method} ${req.url} ${status} ${req.headers['user-agent'] || '-'}\n`);
  res.writeHead(status, headers);
  res.end(body);
}

function serveStatic(req, res) {
  const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!path.startsWith(normalize(dir) + sep) && path !== normalize(dir)) return done(req, res, 403, 'forbidden');
  if (!existsSync(path) || !statSync(path).isFile()) return done(req, res, 404, 'not found');
  const body = readFileSync(path);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  const lastModified = statSync(path).mtime.toUTCString();
  const headers = { ETag: etag, 'Last-Modified': lastModified, 'Content-Type': 'application/octet-stream' };
  if (req.headers['if-none-match'] === etag) return done(req, res, 304, undefined, headers);
  done(req, res, 200, req.method === 'HEAD' ? undefined : body, { ...headers, 'Content-Length': body.length });
}

function serveNxCache(req, res) {
  const token = process.env.NX_CACHE_TOKEN;
  if (token && req.headers.authorization !== `Bearer ${token}`) return done(req, res, 401, 'unauthorized');
  const match = /^\/v1\/cache\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url, 'http://x').pathname);
  if (!match) return done(req, res, 404, 'not found');
  const file = join(dir, match[1]);
  if (req.method === 'GET') {
    if (!existsSync(file)) return done(req, res, 404, 'not found');
    const body = readFileSync(file);
    return done(req, res, 200, body, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  }
  if (req.method === 'PUT') {
    // The protocol: an entry is written once; a second PUT of the same hash is a conflict.
    if (existsSync(file)) return done(req, res, 409, 'exists');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      writeFileSync(`${file}.part`, Buffer.concat(chunks));
      renameSync(`${file}.part`, file);
      done(req, res, 200, '');
    });
    return;
  }
  done(req, res, 405, 'method not allowed');
}

const server = createServer((req, res) => {
  try {
    (mode === 'static' ? serveStatic : serveNxCache)(req, res);
  } catch (e) {
    done(req, res, 500, String(e));
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
