/**
 * Loopback HTTP servers standing in for upstreams in tests: a route table
 * (path → handler), and a record of what each request carried.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

export interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (res: ServerResponse, path: string) => void;

export interface Loopback {
  origin: string;
  seen: Seen[];
  routes: Map<string, Handler>;
  close(): Promise<void>;
}

export function json(body: unknown): Handler {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

export function bytes(body: Buffer | string, headers: Record<string, string> = {}): Handler {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
    res.end(body);
  };
}

export function redirect(to: string): Handler {
  return (res) => {
    res.writeHead(302, { location: to });
    res.end();
  };
}

/** A server answering by `routes` (exact path with query), 404 otherwise. */
export async function loopback(routes: Map<string, Handler> = new Map()): Promise<Loopback> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    seen.push({ path, headers: req.headers });
    const handle = routes.get(path);
    if (handle) handle(res, path);
    else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    seen,
    routes,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
