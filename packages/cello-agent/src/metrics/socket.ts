/**
 * How the roles' metrics meet in one endpoint: each role that has metrics
 * (keeper, capacity) serves its own Prometheus registry over HTTP on a unix
 * socket in /run/cello/metrics/<role>.sock, and the metrics server reads
 * every socket there on each scrape and concatenates the texts after its
 * own. The same whether the roles share `cello-agent run`'s process or each
 * runs alone (`cello-agent keeper`, …). Metric names never repeat across
 * registries, so the result is one valid exposition; a role that is down
 * simply contributes nothing (and `cello_agent_child_up` says so).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import type { Registry } from 'prom-client';

/** Serve `registry` at GET /metrics on a unix socket (replacing a stale socket file). */
export function serveRegistry(socketPath: string, registry: Registry): Promise<Server> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  rmSync(socketPath, { force: true });
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

/** One socket's metrics text, or undefined when nothing answers within `timeoutMs`. */
export function scrapeSocket(socketPath: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/metrics', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Every child's metrics, by child name (the socket's base name). */
export async function scrapeChildren(dir: string): Promise<Map<string, string | undefined>> {
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.sock'))
      .sort();
  } catch {
    // no child has started yet
  }
  const texts = await Promise.all(names.map((n) => scrapeSocket(join(dir, n))));
  return new Map(names.map((n, i) => [n.slice(0, -'.sock'.length), texts[i]]));
}
