/**
 * A local stand-in for the Athena JSON API (awsJson1_1 over HTTP), reached by the production
 * AthenaClient through AWS_ENDPOINT_URL_ATHENA. It records every request, plays a scripted
 * sequence of query states, can throttle calls, and serves result rows as GetQueryResults pages
 * of VarCharValue strings with the header row on the first page only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Cell = string | null;

export interface StartRequest {
  QueryString: string;
  ExecutionParameters?: string[];
  WorkGroup?: string;
  QueryExecutionContext?: { Database?: string };
  ResultConfiguration?: { OutputLocation?: string };
}

export interface StandInScript {
  /** States returned by successive GetQueryExecution calls; the last one repeats. */
  states: Array<'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  reason?: string;
  bytesScanned?: number;
  /** The result: column names and rows, computed from the start request. */
  result?: (start: StartRequest) => { columns: string[]; rows: Cell[][] };
  /** Operations that answer ThrottlingException this many times before succeeding. */
  throttle?: Partial<Record<string, number>>;
  /** Fail GetQueryResults for this page index (0-based) with a 500, every time. */
  brokenPage?: number;
}

export interface StandIn {
  url: string;
  calls: Array<{ op: string; body: Record<string, unknown>; authorization: string; securityToken: string }>;
  starts: StartRequest[];
  pagesServed: number[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

export async function startAthenaStandIn(script: StandInScript): Promise<StandIn> {
  const calls: StandIn['calls'] = [];
  const starts: StartRequest[] = [];
  const pagesServed: number[] = [];
  const throttled = new Map<string, number>();
  let polls = 0;
  let result: { columns: string[]; rows: Cell[][] } | undefined;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace('AmazonAthena.', '');
      const body = await readBody(req);
      calls.push({ op, body, authorization: String(req.headers['authorization'] ?? ''), securityToken: String(req.headers['x-amz-security-token'] ?? '') });
      const left = (script.throttle?.[op] ?? 0) - (throttled.get(op) ?? 0);
      if (left > 0) {
        throttled.set(op, (throttled.get(op) ?? 0) + 1);
        send(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
        return;
      }
      if (op === 'StartQueryExecution') {
        const start = body as unknown as StartRequest;
        starts.push(start);
        result = script.result?.(start);
        send(res, 200, { QueryExecutionId: `q-${starts.length}` });
      } else if (op === 'GetQueryExecution') {
        const state = script.states[Math.min(polls, script.states.length - 1)] ?? 'SUCCEEDED';
        polls++;
        send(res, 200, {
          QueryExecution: {
            QueryExecutionId: body['QueryExecutionId'],
            StatementType: 'DML',
            Status: {
              State: state,
              ...(script.reason !== undefined && (state === 'FAILED' || state === 'CANCELLED')
                ? { StateChangeReason: script.reason, AthenaError: { ErrorCategory: 2, ErrorMessage: script.reason } }
                : {}),
            },
            Statistics: { DataScannedInBytes: script.bytesScanned ?? 0, EngineExecutionTimeInMillis: 1200 },
          },
        });
      } else if (op === 'GetQueryResults') {
        const size = Number(body['MaxResults'] ?? 1000);
        const offset = typeof body['NextToken'] === 'string' ? Number(body['NextToken']) : 0;
        const pageIndex = Math.floor(offset / size);
        if (script.brokenPage === pageIndex) {
          send(res, 500, { __type: 'InternalServerException', Message: 'stand-in: page lost' }, 'InternalServerException');
          return;
        }
        const all = result ?? { columns: ['x'], rows: [] };
        // The header row counts toward the first page's MaxResults, as in Athena.
        const withHeader: Cell[][] = [all.columns, ...all.rows];
        const page = withHeader.slice(offset, offset + size);
        const next = offset + size < withHeader.length ? String(offset + size) : undefined;
        pagesServed.push(page.length);
        send(res, 200, {
          ResultSet: {
            Rows: page.map((row) => ({ Data: row.map((c) => (c === null ? {} : { VarCharValue: c })) })),
            ResultSetMetadata: { ColumnInfo: all.columns.map((name) => ({ Name: name, Type: 'varchar' })) },
          },
          ...(next !== undefined ? { NextToken: next } : {}),
        });
      } else {
        send(res, 400, { __type: 'InvalidRequestException', Message: `stand-in: unknown operation ${op}` }, 'InvalidRequestException');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    starts,
    pagesServed,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Fake credentials and the endpoint, as a user's environment would carry them. */
export function useStandInEnv(url: string): () => void {
  const saved = { ...process.env };
  process.env['AWS_ENDPOINT_URL_ATHENA'] = url;
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDSTANDIN';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'stand-in-secret';
  process.env['AWS_REGION'] = 'eu-west-1';
  delete process.env['AWS_PROFILE'];
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
