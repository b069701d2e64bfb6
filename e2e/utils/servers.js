// Small HTTP servers for the end-to-end tests, run as child processes (the
// tests drive Nx with spawnSync, which blocks their own event loop).
//
//   node servers.js static <dir>      a folder over HTTP (ETag, Last-Modified, 304s), like a channel host
//   node servers.js nx-cache <dir>    Nx's self-hosted remote cache (OpenAPI, Nx >= 20.8):
//                                     GET/PUT /v1/cache/{hash}, bearer token from NX_CACHE_TOKEN
//
// Prints `listening <port>` on its first line; each request is appended to
// <dir>.requests.log as `METHOD path status user-agent`.
//
// Faults (issue 30): while <dir>.fault holds `{ "mode", "match", "times" }`,
// a GET (or a cache PUT) whose `METHOD path` matches the regular expression
// `match` (every one when absent) is answered with the fault, `times` times (always when absent),
// then normally again; writing the file anew starts a new count.
//   reset      the answer's headers and half its body, then a TCP reset
//   stop       the answer's headers and half its body, then the connection closed
//   hang       nothing at all: the request is never answered
//   500, 503   that status
//   corrupt    the answer with its second half garbled (same length)
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

const faultFile = `${dir.replace(/\/+$/, '')}.fault`;
let fault = { key: '', used: 0 };
/** The fault this GET gets, if any (see the top of this file). */
function faultFor(req) {
  if (!['GET', 'PUT'].includes(req.method) || !existsSync(faultFile)) return undefined;
  if (req.method === 'PUT' && mode !== 'nx-cache') return undefined;
  const text = readFileSync(faultFile, 'utf8');
  if (text !== fault.key) fault = { key: text, used: 0 };
  const wanted = JSON.parse(text);
  const request = `${req.method} ${new URL(req.url, 'http://x').pathname}`;
  if (wanted.match && !new RegExp(wanted.match).test(request)) return undefined;
  if (wanted.times !== undefined && fault.used >= wanted.times) return undefined;
  fault.used++;
  return wanted.mode;
}

/** Answers `body` (a 200) with `mode` instead; true when it did. */
function faulty(req, res, mode, body, headers) {
  if (!mode) return false;
  if (mode === 'hang') {
    appendFileSync(logFile, `${req.method} ${req.url} hang ${req.headers['user-agent'] || '-'}\n`);
    return true;
  }
  if (mode === '500' || mode === '503') {
    done(req, res, Number(mode), 'fault');
    return true;
  }
  const half = Math.floor(body.length / 2);
  if (mode === 'corrupt') {
    const garbled = Buffer.from(body);
    for (let i = half; i < garbled.length; i++) garbled[i] = (garbled[i] * 7 + 13) & 0xff;
    done(req, res, 200, garbled, { ...headers, 'Content-Length': body.length });
    return true;
  }
  appendFileSync(logFile, `${req.method} ${req.url} ${mode} ${req.headers['user-agent'] || '-'}\n`);
  res.writeHead(200, { ...headers, 'Content-Length': body.length });
  res.write(body.subarray(0, half), () => {
    // A moment for the half to leave, so that the client sees a body that stops rather than no answer.
    setTimeout(() => (mode === 'reset' ? req.socket.resetAndDestroy() : req.socket.end()), 100);
  });
  return true;
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
  if (req.method === 'GET' && faulty(req, res, faultFor(req), body, headers)) return;
  done(req, res, 200, req.method === 'HEAD' ? undefined : body, { ...headers, 'Content-Length': body.length });
}

function serveNxCache(req, res) {
  const token = process.env.NX_CACHE_TOKEN;
  if (token && req.headers.authorization !== `Bearer ${token}`) return done(req, res, 401, 'unauthorized');
  const match = /^\/v1\/cache\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url, 'http://x').pathname);
  if (!match) return done(req, res, 404, 'not found');
  const file = join(dir, match[1]);
  const fault = faultFor(req);
  // A PUT, or a GET of an entry the store lacks, has no body to cut: a reset is a reset at once.
  if (fault && (req.method === 'PUT' || !existsSync(file)) && ['reset', 'stop', 'corrupt'].includes(fault)) {
    appendFileSync(logFile, `${req.method} ${req.url} ${fault} ${req.headers['user-agent'] || '-'}\n`);
    return fault === 'corrupt' ? done(req, res, 404, 'not found') : req.socket.resetAndDestroy();
  }
  if (['hang', '500', '503'].includes(fault) && faulty(req, res, fault, Buffer.alloc(0), {})) return;
  if (req.method === 'GET') {
    if (!existsSync(file)) return done(req, res, 404, 'not found');
    const body = readFileSync(file);
    if (faulty(req, res, fault, body, { 'Content-Type': 'application/octet-stream' })) return;
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
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // a hanging answer must not keep the server up
});
