/**
 * Mutated CloudTrail log files for the differential test (test/strict-differential.test.ts,
 * `npm run fuzz:diff`): from a few valid seed files, deterministic (a seeded PRNG) mutants of the
 * kinds issue 19 lists: truncation at structural boundaries, bit flips, deep nesting, huge
 * strings, NUL and control bytes, invalid UTF-8, lone surrogates, bad and good escapes,
 * duplicate members, `Records` twice, nested or not an array, odd numbers and literals, byte
 * order marks, concatenated and damaged gzip members, trailing text. Each mutant is written
 * plainly or gzipped; which are valid is the reference's to say, not the generator's.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { recordArb } from './cloudtrail-arbitraries.js';

export interface Seed {
  /** wrapped seeds are named as CloudTrail delivery files; array and lines ones are exports. */
  shape: 'wrapped' | 'array' | 'lines';
  text: string;
}

export interface Mutant {
  kind: string;
  /** The file name (a delivery file's for wrapped seeds: its shape then comes from the name). */
  name: string;
  bytes: Buffer;
}

/** mulberry32: a small seeded PRNG, so a failing mutant is found again from its seed and index. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const issuer = (role: string) => ({ type: 'Role', arn: `arn:aws:iam::123456789012:role/${role}`, accountId: '123456789012', userName: role });
const identity = (role: string) => ({
  type: 'AssumedRole',
  accountId: '123456789012',
  invokedBy: 'lambda.amazonaws.com',
  sessionContext: { sessionIssuer: issuer(role), attributes: { mfaAuthenticated: 'false' } },
});

/** Hand-written records: an S3 object read, a DynamoDB call with nested parameters, a non-role call. */
const HAND = [
  {
    eventVersion: '1.08',
    userIdentity: identity('app'),
    eventTime: '2026-02-03T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    requestParameters: { bucketName: 'b1', key: 'dir/é ✓.txt', Host: 'b1.s3.amazonaws.com' },
    responseElements: null,
    resources: [
      { ARN: 'arn:aws:s3:::b1/dir/é ✓.txt', type: 'AWS::S3::Object' },
      { accountId: '123456789012', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b1' },
    ],
    eventType: 'AwsApiCall',
    readOnly: true,
    managementEvent: false,
    eventCategory: 'Data',
    recipientAccountId: '123456789012',
  },
  {
    eventVersion: '1.08',
    userIdentity: identity('worker'),
    eventTime: '2026-02-04T11:30:00Z',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'BatchWriteItem',
    awsRegion: 'us-east-1',
    requestParameters: { requestItems: { Orders: [{ putRequest: { item: { n: 1.5e3, ok: true, none: null } } }] }, tableName: 'Orders' },
    responseElements: { unprocessedItems: {} },
    eventType: 'AwsApiCall',
    errorCode: 'ThrottlingException',
    eventCategory: 'Management',
    recipientAccountId: '123456789012',
  },
  {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', accountId: '123456789012', userName: 'alice' },
    eventTime: '2026-02-05T00:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListRoles',
    awsRegion: 'us-east-1',
    requestParameters: null,
    eventType: 'AwsApiCall',
    recipientAccountId: '123456789012',
  },
];

/** The seed files: hand-written and generated records (recordArb) in the three shapes. */
export function seedFiles(): Seed[] {
  const generated = fc.sample(fc.array(recordArb, { minLength: 2, maxLength: 5 }), { seed: 19, numRuns: 3 });
  const lists: unknown[][] = [HAND, ...generated];
  const seeds: Seed[] = [];
  lists.forEach((records, i) => {
    const objects = records.filter((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
    seeds.push({ shape: 'wrapped', text: JSON.stringify({ Records: records }) });
    if (i === 0) seeds.push({ shape: 'wrapped', text: JSON.stringify({ Records: records, digest: { Records: 'not this one' } }, null, 2) });
    if (i % 2 === 0) seeds.push({ shape: 'array', text: JSON.stringify(records) });
    if (objects.length > 0) seeds.push({ shape: 'lines', text: `${objects.map((r) => JSON.stringify(r)).join('\n')}\n` });
  });
  return seeds;
}

/** Indexes of a text's structural characters (and the quotes of its strings). */
export function boundaries(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) if ('{}[],:"'.includes(text[i] ?? '')) out.push(i);
  return out;
}

type Random = () => number;
const pickOne = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const at = (r: Random, n: number): number => Math.floor(r() * (n + 1));

function insertBytes(bytes: Buffer, index: number, extra: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, index), extra, bytes.subarray(index)]);
}

/** A random index of `needle` in `text` (-1 when absent). */
function occurrence(r: Random, text: string, needle: string): number {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) found.push(i);
  return found.length === 0 ? -1 : pickOne(r, found);
}

/** Indexes inside string contents (after an opening quote, before the closing one). */
function insideString(r: Random, text: string): number {
  for (let tries = 0; tries < 20; tries++) {
    const q = occurrence(r, text, '":"');
    if (q < 0) break;
    const start = q + 3;
    const end = text.indexOf('"', start);
    if (end > start) return start + at(r, end - start - 1);
  }
  return at(r, text.length);
}

const BYTES: Buffer[] = [
  [0x00],
  [0x09],
  [0x0a],
  [0x01],
  [0x1f],
  [0x7f],
  [0x22],
  [0x5c],
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xef, 0xbb, 0xbf],
  [0xe2, 0x80, 0xa8],
  [0xf0, 0x9f, 0x98, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
].map((b) => Buffer.from(b));
const SCALARS = [
  '1e999',
  '-1e999',
  '-0',
  '0.5e-3',
  '1E+2',
  '01',
  '1.',
  '.5',
  '+1',
  'NaN',
  'Infinity',
  '-',
  '0x10',
  '1e',
  'tru',
  'nul',
  'True',
  'falsey',
  'true',
  'null',
  '"\\ud800"',
  '"\\udc00\\ud800x"',
  '""',
];
const ESCAPES = ['\\x', '\\u12', '\\u12g4', '\\/', '\\u00e9', '\\ud83d\\ude00', '\\ud800', '\\udfff', '\\u0000', '\\"', '\\\\', '\\', '\\U0041', '\\a'];
const TRAILING = [' \n', 'x', '{}', ',', '\u0000', ']', '\n{"Records":[]}', '\r\n\t ', '\n{"eventTime":"2026-02-03T10:00:00Z"}', 'null'];
const DUPLICATES: Array<[string, string]> = [
  ['"eventName":', '"eventName":"Dup",'],
  ['"eventSource":', '"eventSource":"dup.amazonaws.com",'],
  ['"eventTime":', '"eventTime":"2026-02-09T00:00:00Z",'],
  ['"userIdentity":', '"userIdentity":{},'],
  ['"userIdentity":', '"userIdentity":null,'],
  ['"sessionIssuer":', '"sessionIssuer":{"type":"Role"},'],
  ['"arn":', '"arn":"arn:aws:iam::123456789012:role/other",'],
  ['"requestParameters":', '"requestParameters":{"bucketName":"x"},'],
  ['"resources":', '"resources":[],'],
  // Names no scan reads, and request members (the last wins, as in JSON.parse): valid.
  ['"eventVersion":', '"eventVersion":"0.1",'],
  ['"bucketName":', '"bucketName":"first",'],
  ['"attributes":', '"attributes":{},'],
];

/** One mutation of a seed; `index` and `boundary` let the caller sweep every boundary. */
function mutate(r: Random, seed: Seed, depthLimit: number): { kind: string; bytes: Buffer; gzip?: 'members' | 'garbage' | 'padding' | 'truncated' } {
  const text = seed.text;
  const raw = Buffer.from(text, 'utf8');
  const kind = pickOne(r, [
    'truncate',
    'truncate',
    'bit-flip',
    'bit-flip',
    'byte-insert',
    'byte-insert',
    'byte-delete',
    'deep',
    'huge-string',
    'escape',
    'escape',
    'control',
    'duplicate',
    'duplicate',
    'records-shape',
    'scalar',
    'scalar',
    'bom',
    'trailing',
    'gzip',
    'whitespace',
    'swap-brackets',
    'valid',
  ]);
  switch (kind) {
    case 'truncate': {
      const b = boundaries(text);
      const i = pickOne(r, b);
      return { kind, bytes: Buffer.from(text.slice(0, i + (r() < 0.5 ? 0 : 1)), 'utf8') };
    }
    case 'bit-flip': {
      const out = Buffer.from(raw);
      const flips = 1 + at(r, 2);
      for (let f = 0; f < flips; f++) {
        const i = Math.floor(r() * out.length);
        out[i] = (out[i] ?? 0) ^ (1 << Math.floor(r() * 8));
      }
      return { kind, bytes: out };
    }
    case 'byte-insert':
      return { kind, bytes: insertBytes(raw, r() < 0.6 ? Buffer.byteLength(text.slice(0, insideString(r, text))) : at(r, raw.length), pickOne(r, BYTES)) };
    case 'byte-delete': {
      const i = Math.floor(r() * raw.length);
      return { kind, bytes: Buffer.concat([raw.subarray(0, i), raw.subarray(i + 1)]) };
    }
    case 'deep': {
      // Nesting around the limit, inside a record (3 levels in for a wrapped file, 2 for the others).
      const base = seed.shape === 'wrapped' ? 3 : seed.shape === 'array' ? 2 : 1;
      const k = depthLimit - base - 3 + at(r, 5);
      const open = r() < 0.5 ? '['.repeat(k) : '{"a":'.repeat(k - 1) + '[';
      const close = open.startsWith('[') ? ']'.repeat(k) : ']' + '}'.repeat(k - 1);
      const i = occurrence(r, text, '"requestParameters":');
      if (i < 0) return { kind, bytes: raw };
      return { kind, bytes: Buffer.from(`${text.slice(0, i)}"deep":${open}${close},${text.slice(i)}`, 'utf8') };
    }
    case 'huge-string': {
      const i = occurrence(r, text, '"eventName":');
      const body = pickOne(r, ['x', 'é', '\\"', '\\u0041']).repeat(50_000 + at(r, 100_000));
      if (i < 0) return { kind, bytes: raw };
      return { kind, bytes: Buffer.from(`${text.slice(0, i)}"userAgent":"${body}",${text.slice(i)}`, 'utf8') };
    }
    case 'escape': {
      const i = insideString(r, text);
      return { kind, bytes: Buffer.from(text.slice(0, i) + pickOne(r, ESCAPES) + text.slice(i), 'utf8') };
    }
    case 'control': {
      const i = insideString(r, text);
      return {
        kind,
        bytes: Buffer.from(text.slice(0, i) + pickOne(r, ['\t', '\n', '\u0001', '\u0000', '\u001f', '\u007f', '\u2028']) + text.slice(i), 'utf8'),
      };
    }
    case 'duplicate': {
      const [needle, insert] = pickOne(r, DUPLICATES);
      const i = occurrence(r, text, needle);
      if (seed.shape === 'wrapped' && r() < 0.25)
        return {
          kind: 'records-twice',
          bytes: Buffer.from(text.replace('{', pickOne(r, ['{"Records":[],', '{"Records":null,', '{"Record\\u0073":[{}],'])), 'utf8'),
        };
      if (i < 0) return { kind, bytes: raw };
      return { kind, bytes: Buffer.from(text.slice(0, i) + insert + text.slice(i), 'utf8') };
    }
    case 'records-shape': {
      const variants =
        seed.shape === 'wrapped'
          ? [
              (t: string) => `{"wrap":${t}}`,
              (t: string) => t.replace('"Records":', '"Records":{"a":').replace(/\]\}\s*$/, ']}}'),
              (t: string) => t.replace('"Records":', '"Records":null,"x":'),
              (t: string) => t.replace('"Records":', '"records":'),
              (t: string) => t.replace('{', '{"other":{"Records":[1,2]},'),
              (t: string) => `[${t}]`,
              (t: string) => t.replace('"Records":[', '"Records":"').replace(/\]\}\s*$/, '"}'),
            ]
          : [
              (t: string) => `{"Records":${seed.shape === 'array' ? t : '[]'}}`,
              (t: string) => `${t}\n[]`,
              (t: string) => `"${t.length}"`,
              (t: string) => `${t}\n${t}`,
            ];
      return { kind, bytes: Buffer.from(pickOne(r, variants)(text), 'utf8') };
    }
    case 'scalar': {
      // A value replaced: after a colon, up to the next comma or closing bracket.
      const i = occurrence(r, text, '":');
      if (i < 0) return { kind, bytes: raw };
      let end = i + 2;
      if (text[end] === '"') end = text.indexOf('"', end + 1) + 1;
      else while (end < text.length && !',}]'.includes(text[end] ?? '')) end++;
      if (text[i + 2] === '{' || text[i + 2] === '[') end = i + 2;
      return { kind, bytes: Buffer.from(text.slice(0, i + 2) + pickOne(r, SCALARS) + text.slice(end), 'utf8') };
    }
    case 'bom':
      return { kind, bytes: Buffer.from(pickOne(r, ['\uFEFF', '\uFEFF\uFEFF', '\uFEFF \n', ' \uFEFF']) + text, 'utf8') };
    case 'trailing':
      return { kind, bytes: Buffer.from(text + pickOne(r, TRAILING), 'utf8') };
    case 'gzip':
      return { kind, bytes: raw, gzip: pickOne(r, ['members', 'garbage', 'padding', 'truncated'] as const) };
    case 'whitespace': {
      // Before structural characters (never inside a string); now and then a space JSON does not allow.
      let out = text;
      for (let k = 0; k < 3; k++) {
        const i = pickOne(
          r,
          boundaries(out).filter((j) => out[j] !== '"'),
        );
        out = out.slice(0, i) + pickOne(r, [' ', '\n', '\r\n', '\t', ' ', '\n', '\r\n', '\t', '\u00a0', '\u000b']) + out.slice(i);
      }
      return { kind, bytes: Buffer.from(out, 'utf8') };
    }
    case 'swap-brackets': {
      const b = boundaries(text).filter((i) => '{}[]'.includes(text[i] ?? ''));
      const i = pickOne(r, b);
      const swap: Record<string, string> = { '{': '[', '[': '{', '}': ']', ']': '}' };
      return { kind, bytes: Buffer.from(text.slice(0, i) + (swap[text[i] ?? ''] ?? '') + text.slice(i + 1), 'utf8') };
    }
    default:
      return { kind: 'valid', bytes: raw };
  }
}

/** Splits `bytes` into gzip members, or damages one gzip member, as `how` says. */
function gzipAs(r: Random, bytes: Buffer, how: 'members' | 'garbage' | 'padding' | 'truncated' | 'plain'): Buffer {
  if (how === 'members') {
    const cut = at(r, bytes.length);
    return Buffer.concat([gzipSync(bytes.subarray(0, cut)), gzipSync(bytes.subarray(cut))]);
  }
  const gz = gzipSync(bytes);
  if (how === 'garbage') return Buffer.concat([gz, Buffer.from(pickOne(r, ['x', '\u001f', 'PK\u0003\u0004', '\u001f\u008b']), 'latin1')]);
  if (how === 'padding') return Buffer.concat([gz, Buffer.alloc(1 + at(r, 16))]);
  if (how === 'truncated') return gz.subarray(0, Math.floor(r() * gz.length));
  return gz;
}

/**
 * `count` mutants of `seeds` from PRNG seed `seed`. The first ones sweep every structural
 * boundary of the smallest seed (truncated before and after it); the rest are random mutations,
 * a third of them gzipped.
 */
export function* mutants(seeds: readonly Seed[], count: number, seed: number, depthLimit: number): Generator<Mutant> {
  const r = prng(seed);
  let n = 0;
  const name = (s: Seed, gz: boolean): string =>
    s.shape === 'wrapped' ? `123456789012_CloudTrail_eu-west-1_20260203T1000Z_m${n}.json${gz ? '.gz' : ''}` : `export-${s.shape}-${n}.json${gz ? '.gz' : ''}`;
  const smallest = [...seeds].sort((a, b) => a.text.length - b.text.length)[0];
  if (smallest !== undefined) {
    for (const i of boundaries(smallest.text)) {
      for (const end of [i, i + 1]) {
        if (n >= count) return;
        yield { kind: 'truncate-sweep', name: name(smallest, false), bytes: Buffer.from(smallest.text.slice(0, end), 'utf8') };
        n++;
      }
    }
  }
  while (n < count) {
    const s = pickOne(r, seeds);
    const m = mutate(r, s, depthLimit);
    const gz = m.gzip !== undefined || r() < 0.3;
    const bytes = gz ? gzipAs(r, m.bytes, m.gzip ?? 'plain') : m.bytes;
    yield { kind: m.gzip !== undefined ? `gzip-${m.gzip}` : m.kind, name: name(s, gz), bytes };
    n++;
  }
}
