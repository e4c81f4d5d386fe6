import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLD_LADDER, FOLD_LIMIT, foldCallMap, foldCallRows, FoldingCalls, foldKey, isFoldedPrefix, objectArnHead } from '../src/ingest/fold.js';
import { groupRecords } from '../src/ingest/reference.js';
import { callKey, mergeCallRows, sortCallRows } from '../src/ingest/call-rows.js';
import type { CallRow } from '../src/model.js';
import table from '../src/mapping/data/non-resource-params.json' with { type: 'json' };
import { createMapper } from '../src/mapping/map-call.js';
import { loadCatalog } from '../src/iam/catalog.js';

const ROLE = 'arn:aws:iam::111122223333:role/app';

function row(bucket: string, key: string, extra: Partial<CallRow> = {}): CallRow {
  return {
    roleArn: ROLE,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    recipientAccountId: '111122223333',
    eventCategory: 'Data',
    errorCode: null,
    invokedBy: null,
    params: { bucketName: bucket, key },
    resourceArns: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${key}`].sort(),
    count: 1,
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

// Keys with a shallow, repetitive top and a random tail, so that families cross the limit at
// several depths of the ladder; `*` and `?` appear inside keys to show they are not read as folds.
const segment = fc.constantFrom('a', 'b', 'logs', 'dt=2026-01-0*', 'x?y', '');
const flat = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 9 }), fc.integer({ min: 0, max: 400 })).map(([head, n]) => [...head, `obj-${n}`].join('/'));
// Deep, narrow trees (logs/2026/01/02/...): they fold at the deeper steps of the ladder.
const deep = fc
  .tuple(fc.constantFrom('logs', 'img'), fc.array(fc.constantFrom('2026', '01', '02'), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 400 }))
  .map(([top, mid, n]) => [top, ...mid, `obj-${n}`].join('/'));
const key = fc.oneof(flat, deep);
const callRow = fc
  .record({
    bucket: fc.constantFrom('data', 'logs'),
    name: fc.constantFrom('GetObject', 'PutObject'),
    key,
    noKey: fc.boolean(),
    count: fc.integer({ min: 1, max: 5 }),
    first: fc.integer({ min: 0, max: 50 }),
    span: fc.integer({ min: 0, max: 50 }),
  })
  .map(({ bucket, name, key: k, noKey, count, first, span }) => {
    const time = (n: number): string => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString().replace('.000Z', 'Z');
    const base = row(bucket, k, { eventName: name, count, firstSeen: time(first), lastSeen: time(first + span) });
    // Some calls have no object key (ListObjects): they are never folded.
    return noKey && k.endsWith('0') ? { ...base, params: { bucketName: bucket }, resourceArns: [`arn:aws:s3:::${bucket}`] } : base;
  });
// Enough rows to cross FOLD_LIMIT in a family (size 'max': fast-check's default keeps arrays ~10 long).
const rows = fc.array(callRow, { minLength: 0, maxLength: 700, size: 'max' });

function union(...parts: CallRow[][]): CallRow[] {
  const map = new Map<string, CallRow>();
  for (const part of parts) mergeCallRows(map, part);
  return [...map.values()];
}

const familyOf = (r: CallRow): string => JSON.stringify([r.eventName, r.params['bucketName']]);

/**
 * The rule of fold.ts's header read literally, for the generator's raw rows: per family, its
 * distinct keys; past FOLD_LIMIT, the deepest ladder depth that leaves at most FOLD_LIMIT folded
 * keys (else 0), the key and object ARN folded to it and the depth on the row; equal rows merged.
 */
function foldByTheRule(input: CallRow[]): CallRow[] {
  const keys = new Map<string, Set<string>>();
  for (const r of input) {
    const k = r.params['key'];
    if (k !== undefined) keys.set(familyOf(r), (keys.get(familyOf(r)) ?? new Set()).add(k));
  }
  const depths = new Map<string, number>();
  for (const [family, set] of keys) {
    if (set.size > FOLD_LIMIT) depths.set(family, FOLD_LADDER.find((d) => new Set([...set].map((k) => foldKey(k, d))).size <= FOLD_LIMIT) ?? 0);
  }
  const folded = input.map((r): CallRow => {
    const depth = depths.get(familyOf(r));
    const k = r.params['key'];
    if (depth === undefined || k === undefined) return r;
    const bucket = r.params['bucketName'] ?? '';
    const prefix = foldKey(k, depth);
    return {
      ...r,
      params: { ...r.params, key: prefix },
      resourceArns: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${prefix}`].sort(),
      foldedDepth: depth,
    };
  });
  return sortCallRows(union(folded));
}

describe('foldKey', () => {
  it('keeps the first d segments and appends /* only when the key is longer', () => {
    expect(foldKey('logs/2026/01/a.gz', 2)).toBe('logs/2026/*');
    expect(foldKey('logs/2026/01/a.gz', 4)).toBe('logs/2026/01/a.gz');
    expect(foldKey('logs/2026/01/a.gz', 3)).toBe('logs/2026/01/*');
    expect(foldKey('a.gz', 1)).toBe('a.gz');
    expect(foldKey('a.gz', 0)).toBe('*');
    expect(foldKey('/lead', 1)).toBe('/*');
    expect(FOLD_LADDER[FOLD_LADDER.length - 1]).toBe(0);
  });

  it('tells a folded prefix from a short key kept exactly, by the depth and not by the *', () => {
    expect(isFoldedPrefix('logs/2026/*', 2)).toBe(true);
    expect(isFoldedPrefix('logs/*', 2)).toBe(false); // a 2-segment key `logs/*` kept as it was
    expect(isFoldedPrefix('config/app.json', 4)).toBe(false);
    expect(isFoldedPrefix('*', 0)).toBe(true);
    fc.assert(
      fc.property(key, fc.constantFrom(...FOLD_LADDER), (k, d) => {
        const folded = foldKey(k, d);
        expect(isFoldedPrefix(folded, d)).toBe(folded !== k || d === 0 || k.split('/').length > d);
      }),
    );
  });

  it('composes: folding to d after d2 >= d is folding to d', () => {
    fc.assert(
      fc.property(key, fc.constantFrom(...FOLD_LADDER), fc.constantFrom(...FOLD_LADDER), (k, a, b) => {
        const [shallow, deep] = a <= b ? [a, b] : [b, a];
        expect(foldKey(foldKey(k, deep), shallow)).toBe(foldKey(k, shallow));
      }),
    );
  });
});

describe('objectArnHead', () => {
  it('is the head /^arn:[^:]+:s3:::[^/]+\\/$/ matches, when the ARN ends with the key', () => {
    const regex = (arn: string, key: string): string | undefined => {
      if (!arn.endsWith(key) || !arn.startsWith('arn:')) return undefined;
      const head = arn.slice(0, arn.length - key.length);
      return /^arn:[^:]+:s3:::[^/]+\/$/.test(head) ? head : undefined;
    };
    const piece = fc.constantFrom('arn:', 'aws', ':', 's3', ':::', 'b', '/', 'k', '', 'x:y', 'arn:aws:s3:::', 'a/b', '::');
    const text = fc.array(piece, { maxLength: 7 }).map((p) => p.join(''));
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          text.map((t) => `arn:aws:s3:::${t}`),
        ),
        fc.nat(),
        fc.oneof(text, fc.constant(null)),
        (arn, cut, other) => {
          const key = other ?? arn.slice(cut % (arn.length + 1));
          expect(objectArnHead(arn, key)).toBe(regex(arn, key));
        },
      ),
      { numRuns: 1000 },
    );
    expect(objectArnHead('arn:aws:s3:::bucket/a/b.txt', 'a/b.txt')).toBe('arn:aws:s3:::bucket/');
    expect(objectArnHead('arn:aws:s3:::bucket/a/b.txt', 'b.txt')).toBeUndefined();
  });
});

describe('foldCallMap algebra', () => {
  it('folds as the rule reads', () => {
    fc.assert(
      fc.property(rows, (input) => {
        expect(foldCallRows(input)).toEqual(foldByTheRule(input));
      }),
      { numRuns: 40 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(rows, (input) => {
        const once = foldCallRows(input);
        expect(foldCallRows(once)).toEqual(once);
      }),
      { numRuns: 30 },
    );
  });

  it('the generator reaches several depths of the ladder (so the properties run on folded rows)', () => {
    const depths = new Set<number | undefined>();
    for (const input of fc.sample(rows, { numRuns: 60, seed: 42 })) for (const r of foldCallRows(input)) depths.add(r.foldedDepth);
    expect(depths.has(undefined)).toBe(true);
    expect([...depths].filter((d) => d !== undefined).length).toBeGreaterThanOrEqual(3);
  });

  it('is order-independent and composable: fold(fold(A) ∪ fold(B)) = fold(A ∪ B)', () => {
    fc.assert(
      fc.property(rows, fc.array(fc.boolean(), { minLength: 700, maxLength: 700 }), (input, side) => {
        const a = input.filter((_, i) => side[i]);
        const b = input.filter((_, i) => !side[i]);
        const whole = foldCallRows(input);
        expect(foldCallRows(union(foldCallRows(a), foldCallRows(b)))).toEqual(whole);
        expect(foldCallRows(union(foldCallRows(b), foldCallRows(a)))).toEqual(whole);
        expect(foldCallRows([...input].reverse())).toEqual(whole);
      }),
      { numRuns: 30 },
    );
  });

  it('folding incrementally after every batch equals one fold at the end', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 60 }), (input, size) => {
        const map = new Map<string, CallRow>();
        for (let i = 0; i < input.length; i += size) {
          mergeCallRows(
            map,
            input.slice(i, i + size).map((r) => ({ ...r })),
          );
          foldCallMap(map);
        }
        const incremental = [...map.values()].sort((x, y) => (callKey(x) < callKey(y) ? -1 : callKey(x) > callKey(y) ? 1 : 0));
        expect(incremental).toEqual(foldCallRows(input));
      }),
      { numRuns: 25 },
    );
  });

  it('FoldingCalls (fold on arrival) equals one fold at the end, also fed rows already folded', () => {
    const sorted = (list: CallRow[]): CallRow[] => [...list].sort((x, y) => (callKey(x) < callKey(y) ? -1 : callKey(x) > callKey(y) ? 1 : 0));
    fc.assert(
      fc.property(rows, fc.integer({ min: 0, max: 700 }), fc.integer({ min: 1, max: 80 }), fc.boolean(), (input, split, size, identities) => {
        const calls = new FoldingCalls();
        const add = (batch: CallRow[]): void => {
          for (const r of batch) calls.add({ ...r }, identities ? `id ${JSON.stringify(r)}` : undefined);
        };
        // A file's groups arrive folded already when the file was large (a scan folds a file as
        // it grows): here rows [split, end) as one folded batch, after the others in small raw ones.
        for (let i = 0; i < split; i += size) add(input.slice(i, Math.min(i + size, split)));
        add(foldCallRows(input.slice(split)));
        const whole = foldCallRows(input);
        expect(sorted(calls.rows())).toEqual(whole);
        // rows() leaves the state as it was.
        expect(sorted(calls.rows())).toEqual(whole);
      }),
      { numRuns: 30 },
    );
  });

  it('bounds each family, conserves counts, covers every input key, and leaves small families exact', () => {
    fc.assert(
      fc.property(rows, (input) => {
        const out = foldCallRows(input);
        const total = (list: CallRow[]): number => list.reduce((s, r) => s + r.count, 0);
        expect(total(out)).toBe(total(input));
        const perFamily = new Map<string, CallRow[]>();
        for (const r of out) if (r.params['key'] !== undefined) perFamily.set(familyOf(r), [...(perFamily.get(familyOf(r)) ?? []), r]);
        const inputKeys = new Map<string, Set<string>>();
        for (const r of input) {
          const k = r.params['key'];
          if (k !== undefined) inputKeys.set(familyOf(r), (inputKeys.get(familyOf(r)) ?? new Set()).add(k));
        }
        for (const [family, members] of perFamily) {
          expect(members.length).toBeLessThanOrEqual(FOLD_LIMIT);
          const depths = new Set(members.map((m) => m.foldedDepth));
          expect(depths.size).toBe(1);
          const depth = [...depths][0];
          const keys = inputKeys.get(family) ?? new Set<string>();
          if (keys.size <= FOLD_LIMIT) expect(depth).toBeUndefined();
          else expect(depth).toBeDefined();
          const outKeys = new Set(members.map((m) => m.params['key']));
          for (const k of keys) expect(outKeys.has(depth === undefined ? k : foldKey(k, depth))).toBe(true);
          for (const m of members) {
            // The object ARN is folded exactly like the key.
            expect(m.resourceArns).toContain(`arn:aws:s3:::${m.params['bucketName']}/${m.params['key']}`);
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('foldCallMap rows', () => {
  it('folds > FOLD_LIMIT keys under two prefixes to the prefixes, merging counts and times', () => {
    const input: CallRow[] = [];
    for (let i = 0; i < 150; i++) {
      input.push(row('data', `logs/2026/${i}.gz`, { firstSeen: `2026-01-0${1 + (i % 5)}T00:00:00Z`, lastSeen: `2026-01-0${2 + (i % 5)}T00:00:00Z` }));
      input.push(row('data', `img/${i}.png`));
    }
    const out = foldCallRows(input);
    expect(out.map((r) => [r.params['key'], r.foldedDepth, r.count, r.firstSeen, r.lastSeen, r.resourceArns])).toEqual([
      ['img/*', 1, 150, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ['arn:aws:s3:::data', 'arn:aws:s3:::data/img/*']],
      ['logs/*', 1, 150, '2026-01-01T00:00:00Z', '2026-01-06T00:00:00Z', ['arn:aws:s3:::data', 'arn:aws:s3:::data/logs/*']],
    ]);
  });

  it('never reads a * in an exact key as a fold, and keeps folded and exact rows apart', () => {
    const exact = row('data', 'logs/*');
    const folded = { ...row('data', 'logs/*'), foldedDepth: 1 };
    expect(callKey(exact)).not.toBe(callKey(folded));
    const out = foldCallRows([exact]);
    expect(out).toEqual([exact]);
    expect(out[0]?.foldedDepth).toBeUndefined();
  });

  it('leaves a family of exactly FOLD_LIMIT keys exact and folds FOLD_LIMIT + 1', () => {
    const at = Array.from({ length: FOLD_LIMIT }, (_, i) => row('data', `p/${i}`));
    expect(foldCallRows(at).every((r) => r.foldedDepth === undefined)).toBe(true);
    const over = [...at, row('data', 'p/extra')];
    expect(foldCallRows(over).map((r) => r.params['key'])).toEqual(['p/*']);
  });

  it('groupRecords folds the same way', () => {
    const records = Array.from({ length: 120 }, (_, i) => ({
      eventTime: '2026-01-01T00:00:00Z',
      eventType: 'AwsApiCall',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: 'eu-west-1',
      recipientAccountId: '111122223333',
      eventCategory: 'Data',
      requestParameters: { bucketName: 'data', key: `in/${i}.json` },
      resources: [{ ARN: `arn:aws:s3:::data/in/${i}.json` }, { ARN: 'arn:aws:s3:::data' }],
      userIdentity: { sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'app' } } },
    }));
    const out = groupRecords(records, { kind: 'all' }, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      params: { bucketName: 'data', key: 'in/*' },
      foldedDepth: 1,
      count: 120,
      resourceArns: ['arn:aws:s3:::data', 'arn:aws:s3:::data/in/*'],
    });
  });
});

describe('non-resource request keys (data/non-resource-params.json)', () => {
  const execution = (name: string, time: string): CallRow => ({
    roleArn: 'arn:aws:iam::123456789012:role/flow',
    eventSource: 'states.amazonaws.com',
    eventName: 'StartExecution',
    awsRegion: 'eu-west-1',
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
    errorCode: null,
    invokedBy: null,
    params: { name, stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow' },
    resourceArns: [],
    count: 1,
    firstSeen: time,
    lastSeen: time,
  });

  it('merges calls that differ only in a dropped key, in every order, and keeps the others', () => {
    const rows = Array.from({ length: 250 }, (_, i) => execution(`run-${i}`, `2026-02-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`));
    const once = foldCallRows(rows);
    expect(once).toHaveLength(1);
    expect(once[0]?.params).toEqual({ stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow' });
    expect([once[0]?.count, once[0]?.firstSeen, once[0]?.lastSeen]).toEqual([250, '2026-02-01T00:00:00Z', '2026-02-28T00:00:00Z']);
    // Composes like the fold: pieces folded apart, then together.
    expect(foldCallRows([...foldCallRows(rows.slice(0, 7)), ...foldCallRows(rows.slice(7))])).toEqual(once);
    const other = { ...execution('kept', '2026-02-01T00:00:00Z'), eventName: 'DescribeExecution' };
    expect(foldCallRows([other])[0]?.params['name']).toBe('kept');
  });

  it('lists only keys the mapping does not read for the event', async () => {
    const mapCall = createMapper(await loadCatalog());
    for (const r of table.rows) {
      const row = { ...execution('x', '2026-02-01T00:00:00Z'), eventSource: r.eventSource, eventName: r.eventName };
      const without = { ...row, params: Object.fromEntries(Object.entries(row.params).filter(([k]) => k !== r.param)) };
      expect(mapCall(row), `${r.eventName} ${r.param}`).toEqual(mapCall(without));
      expect(r.reason.length).toBeGreaterThan(20);
    }
  });
});
