/**
 * The native record locator (native/scan.c): the layout of its RecordIndex as scan-text.ts reads
 * it (classes of values, the S3 object key left out, groups). What a scan gives from it is held
 * to the reference path by test/ingest-cases.test.ts and test/stream-scan.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  FIELD,
  FIELDS,
  KEY_AT,
  locateRecords,
  nativeWalker,
  RAW,
  STRIDE,
  VALUE_KEY,
  VALUE_PLAIN,
  type NativeModule,
} from '../src/ingest/local/stream/record-index.js';

const OFF = process.env['IAMTRIM_NATIVE'] === '0';
const native = OFF ? null : nativeWalker();

function loaded(): NativeModule {
  if (native === null) throw new Error('native module not loaded: run npm run build');
  return native;
}

describe.skipIf(OFF)('native record locator (skipped with IAMTRIM_NATIVE=0)', () => {
  it('is built by npm install / npm run build (native/build.mjs)', () => {
    expect(native, 'native/build/Release/iamtrim_scan.node is missing: run npm run build and read its message').not.toBeNull();
    expect(native?.stride).toBe(STRIDE);
    expect(native?.fields).toBe(FIELDS.length);
  });

  it('refuses malformed JSON as a whole: the error and where, and no rows', () => {
    const index = locateRecords(loaded(), Buffer.from('{"Records":[{"eventName":"A"},{"a":"unterminated}]}'), 'wrapped');
    expect(index.count).toBe(0);
    expect(index.error?.message).toBe('invalid JSON: unterminated string at byte 35; the file is not valid JSON');
  });

  it('is built from this scan.c: its ABI matches (a stale build is a user error naming npm run build)', () => {
    expect(native?.abi).toBe(2);
  });

  it('grows past its initial tables: deep nesting, many records, many distinct strings', () => {
    const deep = `${'['.repeat(500)}${']'.repeat(500)}`;
    const many = Array.from({ length: 5000 }, (_, i) => {
      const time = `2026-02-01T10:00:${String(i % 60).padStart(2, '0')}Z`;
      return `{"eventTime":"${time}","eventName":"Call${i}","requestParameters":{"deep":${i % 1000 === 0 ? deep : '[[{"a":[1]}]]'}}}`;
    });
    const text = `{"Records":[${many.join(',')}]}`;
    const index = locateRecords(loaded(), Buffer.from(text), 'wrapped');
    expect(index.count).toBe(5000);
    expect(index.strings.length).toBe(5000 + 60);
    const last = 4999 * STRIDE + 2 + 3 * FIELD.eventName;
    expect(index.strings[index.rows[last] ?? -1]).toBe('Call4999');
    const cut = locateRecords(loaded(), Buffer.from(`{"Records":[{"x":${deep.slice(0, 400)}}]}`), 'wrapped');
    expect(cut.error?.message).toMatch(/^invalid JSON: /);
  });

  it('numbers requestParameters and resources values by their listings (RAW - class), past the initial tables', () => {
    // 3,000 distinct values each seen twice (the second time in the other order of records), so
    // the tables grow; equal listings get equal ids, other listings other ids, in both walkers.
    // A member no request key reads (`other`) differs between the two sightings: same listing.
    const records = Array.from({ length: 6000 }, (_, i) => {
      const n = i < 3000 ? i : 5999 - i;
      return `{"eventName":"E","requestParameters":{"bucketName":"k${n}","other":${i}},"resources":[{"ARN":"arn:aws:kms:::b/${n % 7}","type":"${i}"}]}`;
    });
    const text = `{"Records":[${records.join(',')}]}`;
    const index = locateRecords(loaded(), Buffer.from(text), 'wrapped');
    const id = (k: number, field: number): number => index.rows[k * STRIDE + 2 + 3 * field] ?? 0;
    const params = new Set<number>();
    for (let k = 0; k < 3000; k++) {
      expect(id(k, FIELD.requestParameters)).toBe(id(5999 - k, FIELD.requestParameters));
      expect(id(k, FIELD.requestParameters)).toBeLessThanOrEqual(RAW);
      params.add(id(k, FIELD.requestParameters));
    }
    expect(params.size).toBe(3000);
    const resources = new Set(Array.from({ length: 6000 }, (_, k) => id(k, FIELD.resources)));
    expect(resources.size).toBe(7);
    expect(id(0, FIELD.resources)).toBe(id(7, FIELD.resources));
    // Each class keeps one listing; the records group by their ids (eventName, params, resources).
    expect(index.params.at.length).toBe(3000);
    expect(index.resources.at.length).toBe(7);
    expect(new Set(index.groups).size).toBe(3000);
    for (let k = 0; k < 3000; k++) expect(index.groups[k]).toBe(index.groups[5999 - k]);
  });

  it('leaves the S3 object key out of classes: one class per object read, the key at KEY_AT, object ARNs by their head', () => {
    const record = (key: string, arns: string[], extra = ''): string =>
      `{"eventName":"GetObject","requestParameters":{"bucketName":"b","key":${key}${extra}},"resources":[${arns.map((a) => `{"ARN":${a}}`).join(',')}]}`;
    const lines = [
      record('"a/1.txt"', ['"arn:aws:s3:::b/a/1.txt"', '"arn:aws:s3:::b"']), // 0
      record('"a/2.txt"', ['"arn:aws:s3:::b/a/2.txt"', '"arn:aws:s3:::b"']), // 1: same classes as 0
      record('"a/3.txt"', ['"arn:aws:s3:::b/other.txt"', '"arn:aws:s3:::b"']), // 2: ARN not its key: exact class
      record('"a/4.txt"', ['"arn:aws:s3:::c/a/4.txt"', '"arn:aws:s3:::b"']), // 3: another bucket's head
      record('"a\\u0035.txt"', ['"arn:aws:s3:::b/a5.txt"']), // 4: an escaped key: listed with its bytes
      record('"a/6.txt"', ['"arn:aws:s3:::b/a/6.txt"'], ',"Key":"x"'), // 5: two key members: no VALUE_KEY
      record('"a/7.txt"', ['"arn:aws:s3:::b/other.txt"', '"arn:aws:s3:::b"']), // 6: record 2's resources, not its key either
      record('"other.txt"', ['"arn:aws:s3:::b/other.txt"', '"arn:aws:s3:::b"']), // 7: the class of 0
    ];
    const text = `{"Records":[${lines.join(',')}]}`;
    const bytes = Buffer.from(text);
    const index = locateRecords(loaded(), bytes, 'wrapped');
    const id = (k: number, field: number): number => index.rows[k * STRIDE + 2 + 3 * field] ?? 0;
    const key = (k: number): string | null => {
      const start = index.rows[k * STRIDE + KEY_AT] ?? -1;
      return start < 0 ? null : bytes.toString('utf8', start, index.rows[k * STRIDE + KEY_AT + 1]);
    };
    const P = FIELD.requestParameters;
    const R = FIELD.resources;
    expect([0, 1, 2, 3, 7].map((k) => id(k, P))).toEqual(Array(5).fill(id(0, P)));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(key)).toEqual(['"a/1.txt"', '"a/2.txt"', '"a/3.txt"', '"a/4.txt"', null, null, '"a/7.txt"', '"other.txt"']);
    expect(id(4, P)).not.toBe(id(0, P));
    expect(id(5, P)).not.toBe(id(0, P));
    // Object ARNs that are the record's key share the class of their head; others keep their bytes.
    expect(id(1, R)).toBe(id(0, R));
    expect(id(7, R)).toBe(id(0, R));
    expect(id(3, R)).not.toBe(id(0, R));
    expect(id(2, R)).not.toBe(id(0, R));
    expect(id(6, R)).toBe(id(2, R)); // the same bytes, neither's key: the same exact class
    expect(id(4, R)).not.toBe(id(0, R)); // no VALUE_KEY to match
    expect(index.groups[1]).toBe(index.groups[0]);
    expect(index.groups[7]).toBe(index.groups[0]);
    expect(index.groups[2]).not.toBe(index.groups[0]);
    // The listing marks how each value reads.
    const { parts, at } = index.params;
    const listed = (k: number): number[] =>
      Array.from(parts.subarray((at[RAW - id(k, P)] ?? 0) + 1, (at[RAW - id(k, P)] ?? 0) + 1 + 4 * (parts[at[RAW - id(k, P)] ?? 0] ?? 0))).filter(
        (_, i) => i % 4 === 3,
      );
    expect(listed(0)).toEqual([VALUE_PLAIN, VALUE_KEY]);
    expect(listed(5)).toEqual([VALUE_PLAIN, VALUE_PLAIN, VALUE_PLAIN]);
  });

  it('classes values by what the scan reads: inert members (null, objects read as scalars, empty ARNs) whatever their bytes', () => {
    const params = [
      '{"key":{"orderId":"o-1"},"tableName":"t"}',
      '{"key":{"orderId":"o-2"},"tableName":"t"}',
      '{"key":null,"tableName":"t"}',
      '{"key":"k","tableName":"t"}',
      '{"key":{"orderId":"o-1"},"tableName":"u"}',
    ];
    const resources = ['[{"ARN":{"a":1},"arn":"x"}]', '[{"ARN":null,"arn":"x"}]', '[{"ARN":"","arn":"x"}]', '[{"ARN":"y","arn":"x"}]'];
    const records = [...params.map((p) => `{"requestParameters":${p}}`), ...resources.map((r) => `{"resources":${r}}`)];
    const text = `[${records.join(',')}]`;
    const index = locateRecords(loaded(), Buffer.from(text), 'array');
    const id = (k: number, field: number): number => index.rows[k * STRIDE + 2 + 3 * field] ?? 0;
    expect(params.map((_, k) => RAW - id(k, FIELD.requestParameters))).toEqual([0, 0, 0, 1, 2]);
    expect(resources.map((_, k) => RAW - id(params.length + k, FIELD.resources))).toEqual([0, 0, 0, 1]);
  });

  it('groups records by every field but their time, and leaves a record with a non-string field alone', () => {
    const at = (time: string, extra = ''): string =>
      `{"eventTime":"${time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"key":"a"}${extra}}`;
    const text = `[${[
      at('2026-02-01T10:00:00Z'), // group 0
      at('2026-02-01T11:00:00Z'), // same fields, another time: group 0
      at('2026-02-01T10:00:00Z', ',"errorCode":"AccessDenied"'), // 1
      at('2026-02-01T10:00:00Z', ',"errorCode":7'), // a number: alone (2)
      at('2026-02-01T10:00:00Z', ',"errorCode":7'), // alone again (3)
      '"not a record"', // no fields: 4
      '{}', // no fields either: 4
      at('2026-02-01T10:00:00Z', ',"errorCode":"AccessDenied"'), // 1
    ].join(',')}]`;
    expect(Array.from(locateRecords(loaded(), Buffer.from(text), 'array').groups)).toEqual([0, 0, 1, 2, 3, 4, 4, 1]);
  });
});
