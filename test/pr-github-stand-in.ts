/**
 * A local HTTP stand-in for the three GitHub pull request endpoints iamtrim uses (list, create,
 * update). It keeps the PRs in memory and records every request, so tests can assert what was
 * sent (method, path, auth header, body) and that a second run updates instead of creating.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface StandInPull {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string;
  head: string;
  base: string;
}

export interface GitHubStandIn {
  url: string;
  requests: RecordedRequest[];
  pulls: StandInPull[];
  close(): Promise<void>;
}

export async function startGitHubStandIn(owner: string, repo: string): Promise<GitHubStandIn> {
  const requests: RecordedRequest[] = [];
  const pulls: StandInPull[] = [];
  let url = '';
  const toJson = (p: StandInPull): unknown => ({
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    html_url: `https://github.example/${owner}/${repo}/pull/${p.number}`,
    head: { ref: p.head, repo: { full_name: `${owner}/${repo}` } },
    base: { ref: p.base },
  });
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization === undefined) return send(401, { message: 'Requires authentication' });
      const base = `/repos/${owner}/${repo}/pulls`;
      if (req.method === 'GET' && path === base) {
        return send(200, pulls.filter((p) => p.state === query.get('state') && (query.get('base') === null || p.base === query.get('base'))).map(toJson));
      }
      if (req.method === 'POST' && path === base && body !== undefined) {
        if (pulls.some((p) => p.state === 'open' && p.head === body['head'])) return send(422, { message: 'A pull request already exists' });
        const pull: StandInPull = {
          number: pulls.length + 1,
          state: 'open',
          title: String(body['title']),
          body: String(body['body']),
          head: String(body['head']),
          base: String(body['base']),
        };
        pulls.push(pull);
        return send(201, toJson(pull));
      }
      const m = new RegExp(`^${base}/(\\d+)$`).exec(path);
      const pull = m === null ? undefined : pulls.find((p) => p.number === Number(m[1]));
      if (req.method === 'PATCH' && pull !== undefined && body !== undefined) {
        if (typeof body['title'] === 'string') pull.title = body['title'];
        if (typeof body['body'] === 'string') pull.body = body['body'];
        return send(200, toJson(pull));
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, pulls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
