/**
 * Writes CloudTrail delivery files in the S3 layout (`AWSLogs/<acct>/CloudTrail/<region>/Y/M/D/`)
 * plus daily digest files. Compression runs on libuv's thread pool with a bounded number of files
 * in flight, so generation and gzip overlap on two cores while memory stays bounded.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Prng } from './prng.js';
import { isoSeconds } from './record.js';

const gzip = promisify(gzipCallback);
const MAX_IN_FLIGHT = 8;
/** zlib's default level 6: about 9x on CloudTrail JSON, ~110 MB/s per pool thread. */
const GZIP_LEVEL = 6;

interface DigestEntry {
  s3Object: string;
  hashValue: string;
  oldestEventTime: string;
  newestEventTime: string;
}

/** `20260131T1205Z` from epoch seconds. */
function compactStamp(epochSeconds: number): string {
  const iso = isoSeconds(epochSeconds);
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

function datePath(epochSeconds: number): string {
  const iso = isoSeconds(epochSeconds);
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

/** Tracks files written and bytes, and keeps what the digests need. */
export class DeliveryWriter {
  files = 0;
  bytes = 0;
  digestFiles = 0;
  private readonly inFlight: Array<Promise<void>> = [];
  private readonly madeDirs = new Map<string, Promise<unknown>>();
  /** region -> delivery day -> files delivered that day. */
  private readonly digests = new Map<string, Map<string, DigestEntry[]>>();

  constructor(
    private readonly logsDir: string,
    private readonly account: string,
    private readonly bucket: string,
  ) {}

  private async ensureDir(dir: string): Promise<void> {
    let made = this.madeDirs.get(dir);
    if (made === undefined) this.madeDirs.set(dir, (made = mkdir(dir, { recursive: true })));
    await made;
  }

  /** Queues one delivery file; `records` are serialised JSON records in file order. */
  async writeLogFile(region: string, delivered: number, records: readonly string[], oldest: number, newest: number, rng: Prng): Promise<void> {
    const rel = `AWSLogs/${this.account}/CloudTrail/${region}/${datePath(delivered)}`;
    const name = `${this.account}_CloudTrail_${region}_${compactStamp(delivered)}_${rng.alnum(16)}.json.gz`;
    const entry: DigestEntry = { s3Object: `${rel}/${name}`, hashValue: '', oldestEventTime: isoSeconds(oldest), newestEventTime: isoSeconds(newest) };
    const day = isoSeconds(delivered).slice(0, 10);
    let byDay = this.digests.get(region);
    if (byDay === undefined) this.digests.set(region, (byDay = new Map()));
    let list = byDay.get(day);
    if (list === undefined) byDay.set(day, (list = []));
    list.push(entry);
    const body = `{"Records":[${records.join(',')}]}`;
    this.files++;
    if (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight.shift();
    const dir = join(this.logsDir, rel);
    this.inFlight.push(
      (async () => {
        const [zipped] = await Promise.all([gzip(body, { level: GZIP_LEVEL }), this.ensureDir(dir)]);
        entry.hashValue = createHash('sha256').update(zipped).digest('hex');
        this.bytes += zipped.length;
        await writeFile(join(dir, name), zipped);
      })(),
    );
  }

  /** Waits for queued files, then writes one digest per region and delivery day (readers must skip them). */
  async finish(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
    let previousDigest: string | null = null;
    for (const [region, byDay] of [...this.digests.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const [day, entries] of [...byDay.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const end = Date.parse(`${day}T00:00:00Z`) / 1000 + 86400;
        const rel = `AWSLogs/${this.account}/CloudTrail-Digest/${region}/${datePath(end)}`;
        const name = `${this.account}_CloudTrail-Digest_${region}_demo-trail_${region}_${compactStamp(end + 1800)}.json.gz`;
        const digestObject = `${rel}/${name}`;
        const digest = {
          awsAccountId: this.account,
          digestStartTime: `${day}T00:00:00Z`,
          digestEndTime: isoSeconds(end),
          digestS3Bucket: this.bucket,
          digestS3Object: digestObject,
          digestPublicKeyFingerprint: 'a8ac1c8a5d1e8c1f2b4e6d0f3a9b7c5e',
          digestSignatureAlgorithm: 'SHA256withRSA',
          newestEventTime: entries.reduce((m, e) => (e.newestEventTime > m ? e.newestEventTime : m), ''),
          oldestEventTime: entries.reduce((m, e) => (m === '' || e.oldestEventTime < m ? e.oldestEventTime : m), ''),
          previousDigestS3Bucket: previousDigest === null ? null : this.bucket,
          previousDigestS3Object: previousDigest,
          logFiles: entries.map((e) => ({ s3Bucket: this.bucket, ...e, hashAlgorithm: 'SHA-256' })),
        };
        previousDigest = digestObject;
        const dir = join(this.logsDir, rel);
        await this.ensureDir(dir);
        await writeFile(join(dir, name), await gzip(JSON.stringify(digest)));
        this.digestFiles++;
      }
    }
  }
}
