// A folder over HTTP behind one link of a given bandwidth, for the upstream-deps figure: every answer's
// chunks share the link (a client that opens more connections gets no more bytes per second, as on a real
// line; a limit per connection would let a parallel downloader go as fast as loopback).
//   node throttled-server.cjs <dir> <bytes per second>
// Prints `listening <port>` (and writes it to <dir>.port); appends `<path> <bytes sent>` per answer to <dir>.log.
'use strict';
const { createServer } = require('node:http');
const { appendFileSync, existsSync, readFileSync, statSync } = require('node:fs');
const { join, normalize, sep } = require('node:path');

const [dir, rate] = [process.argv[2], Number(process.argv[3])];
const CHUNK = 64 * 1024;
/** When the link is next free (ms): each chunk sent takes its share of the link's time. */
let linkFreeAt = 0;
createServer((req, res) => {
  const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!path.startsWith(normalize(dir) + sep) || !existsSync(path) || !statSync(path).isFile()) {
    res.writeHead(404).end();
    return;
  }
  const body = readFileSync(path);
  res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' });
  let sent = 0;
  const next = () => {
    if (sent >= body.length) {
      appendFileSync(`${dir}.log`, `${req.url} ${sent}\n`);
      res.end();
      return;
    }
    const size = Math.min(CHUNK, body.length - sent);
    const now = Date.now();
    linkFreeAt = Math.max(now, linkFreeAt) + (size / rate) * 1000;
    setTimeout(
      () => {
        res.write(body.subarray(sent, sent + size));
        sent += size;
        next();
      },
      Math.max(0, linkFreeAt - now),
    );
  };
  next();
}).listen(0, '127.0.0.1', function () {
  process.stdout.write(`listening ${this.address().port}\n`);
  require('node:fs').writeFileSync(`${dir}.port`, String(this.address().port));
});
