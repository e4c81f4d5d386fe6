/**
 * Generates a believable demo account: CloudTrail delivery files for 30 days of use by a handful of
 * over-privileged roles (plus noise), `iam.json`, `lambda-functions.json` and a manifest saying,
 * independently of iamtrim's mapping, which actions each role used. It streams one time slot at a
 * time, so 10M events run in bounded memory; the same options give byte-identical output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCOUNT_ID, REGIONS } from './call-builders.js';
import type { RoleSpec } from './call-spec.js';
import { activityWeight } from './activity.js';
import { extraRoles } from './catalogue-services.js';
import { NAMED_ROLES } from './catalogue-named.js';
import { DeliveryWriter } from './delivery-writer.js';
import { buildAuthorizationDetails, buildLambdaFunctions, iamId, type RoleUsageSummary } from './iam-details.js';
import { buildNoiseRecord } from './noise.js';
import { Prng, cumulate, hashSeed, pickWeighted } from './prng.js';
import { SessionPool, buildCallRecord, isoSeconds, type DemoRoleIdentity } from './record.js';

export interface DemoOptions {
  outDir: string;
  now: Date;
  days?: number;
  events?: number;
  seed?: number;
  onProgress?: (written: number, total: number) => void;
}

export interface DemoRole {
  name: string;
  arn: string;
  path: string;
  description: string;
  /** IAM actions (canonical case, e.g. "s3:GetObject") this role successfully used in the generated logs, sorted. Written by hand in the event catalogue, independent of iamtrim's mapping, so tests can check the mapping end to end. */
  usedActions: string[];
  /** IAM actions of denied attempts, sorted. */
  deniedActions: string[];
  events: number;
}

export interface DemoManifest {
  accountId: string;
  regions: string[];
  logsDir: string;
  iamFile: string;
  lambdaFile: string;
  /** The demo trail's event selectors (aws cloudtrail get-event-selectors output), for --trail-config. */
  trailConfigFile: string;
  window: { start: string; end: string };
  files: number;
  events: number;
  bytes: number;
  roles: DemoRole[];
  /** Records written a second time into a later file with the same eventID (CloudTrail does this). */
  duplicateRecords: number;
  digestFiles: number;
  noiseEvents: number;
  slotMinutes: number;
}

const NOISE_SHARE = 0.04;
const DUPLICATE_RATE = 0.0003;
/** Large slots are split so files stay a few hundred KB to a few MB gzipped (~230 B per record). */
const MAX_RECORDS_PER_FILE = 16_000;
/** From this volume on, slots are sized for realistic delivery files rather than a browsable demo. */
const VOLUME_EVENTS = 100_000;
/** ~6000 records per slot: with two regions, files of ~0.2-2 MB gzipped, like a busy trail's. */
const VOLUME_RECORDS_PER_SLOT = 6_000;

/**
 * CloudTrail delivers about every five minutes per region; a busy account's files then hold
 * thousands of records. The demo spreads fewer events over the same days, so slots are widened
 * until a file holds about what a real delivery file does: at small volume (the browsable demo)
 * at least 20 records and at most an hour; at volume ~6000 records per slot, up to twelve hours.
 * Tiny files would make a benchmark measure file opening rather than decompression and parsing.
 */
export function slotMinutesFor(events: number, days: number): number {
  const perFiveMinutes = events / (days * 288);
  if (events < VOLUME_EVENTS) {
    for (const minutes of [5, 10, 15, 30]) if (perFiveMinutes * (minutes / 5) >= 20) return minutes;
    return 60;
  }
  for (const minutes of [5, 10, 15, 20, 30, 60, 120, 180, 240, 360]) {
    if (perFiveMinutes * (minutes / 5) >= VOLUME_RECORDS_PER_SLOT) return minutes;
  }
  return 720;
}

interface RoleState {
  identity: DemoRoleIdentity;
  quota: number;
  totalWeight: number;
  carry: number;
  salt: number;
  cumulative: number[];
  used: Set<number>;
  events: number;
  lastTime: number;
  lastRegion: string;
}

/** Generates the demo account under `options.outDir` and returns its manifest (also written as manifest.json). */
export async function generateDemo(options: DemoOptions): Promise<DemoManifest> {
  const days = options.days ?? 30;
  const total = options.events ?? 20_000;
  const seed = options.seed ?? 1;
  const end = Math.floor(options.now.getTime() / 1000);
  const start = end - days * 86400;
  const slotMinutes = slotMinutesFor(total, days);
  const slotSeconds = slotMinutes * 60;
  const slots = Math.ceil((end - start) / slotSeconds);
  const extraCount = total >= 1_000_000 ? 200 : total >= 100_000 ? 20 : 0;
  const extras = extraRoles(extraCount, seed);
  const specs: RoleSpec[] = [...NAMED_ROLES, ...extras];

  const namedShare = NAMED_ROLES.reduce((s, r) => s + r.share, 0);
  const extraShare = extras.reduce((s, r) => s + r.share, 0);
  const extraScale = extraShare > 0 ? namedShare / extraShare : 0;
  const roleShareTotal = namedShare + extraShare * extraScale;
  const roleEvents = total * (1 - NOISE_SHARE);

  const states: RoleState[] = specs.map((spec, i) => {
    const salt = hashSeed(seed, 'activity', spec.name);
    let totalWeight = 0;
    for (let s = 0; s < slots; s++) totalWeight += activityWeight(spec.profile, start + s * slotSeconds, s, salt);
    const share = i < NAMED_ROLES.length ? spec.share : spec.share * extraScale;
    return {
      identity: { spec, arn: `arn:aws:iam::${ACCOUNT_ID}:role${spec.path}${spec.name}`, roleId: iamId('AROA', spec.name) },
      quota: spec.calls.length === 0 || totalWeight === 0 ? 0 : (roleEvents * share) / roleShareTotal,
      totalWeight,
      carry: 0,
      salt,
      cumulative: cumulate(spec.calls.map((c) => c.weight)),
      used: new Set<number>(),
      events: 0,
      lastTime: 0,
      lastRegion: spec.homeRegion,
    };
  });
  const noiseQuota = total * NOISE_SHARE;
  let noiseCarry = 0;
  let noiseEvents = 0;

  const logsDir = join(options.outDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const writer = new DeliveryWriter(logsDir, ACCOUNT_ID, `cloudtrail-logs-${ACCOUNT_ID}`);
  const sessions = new SessionPool(seed, ACCOUNT_ID);
  const rng = new Prng(hashSeed(seed, 'events'));
  const namedIdentities = states.slice(0, NAMED_ROLES.length).map((s) => s.identity);
  const pendingDuplicates = new Map<string, string[]>();
  let duplicateRecords = 0;
  let written = 0;

  for (let slot = 0; slot < slots; slot++) {
    const slotStart = start + slot * slotSeconds;
    const slotLength = Math.min(slotSeconds, end - slotStart);
    const byRegion = new Map<string, { records: string[]; oldest: number; newest: number }>();
    const add = (region: string, json: string, time: number): void => {
      let bucket = byRegion.get(region);
      if (bucket === undefined) byRegion.set(region, (bucket = { records: [], oldest: time, newest: time }));
      bucket.records.push(json);
      if (time < bucket.oldest) bucket.oldest = time;
      if (time > bucket.newest) bucket.newest = time;
      if (rng.chance(DUPLICATE_RATE)) {
        const list = pendingDuplicates.get(region) ?? [];
        list.push(json);
        pendingDuplicates.set(region, list);
      }
    };
    for (const state of states) {
      if (state.quota === 0) continue;
      const exact = state.carry + (state.quota * activityWeight(state.identity.spec.profile, slotStart, slot, state.salt)) / state.totalWeight;
      const count = Math.floor(exact);
      state.carry = exact - count;
      for (let n = 0; n < count; n++) {
        const time = slotStart + Math.floor(rng.next() * slotLength);
        const index = pickWeighted(rng, state.cumulative);
        const spec = state.identity.spec.calls[index];
        if (spec === undefined) continue;
        const session = sessions.pick(state.identity, time - (time % 3600), rng);
        const built = buildCallRecord(spec, session, state.identity.spec.homeRegion, time, rng, ACCOUNT_ID);
        state.used.add(index);
        state.events++;
        if (time >= state.lastTime) {
          state.lastTime = time;
          state.lastRegion = built.region;
        }
        add(built.region, built.json, time);
      }
    }
    const noiseExact = noiseCarry + (noiseQuota * slotLength) / (end - start);
    const noiseCount = Math.floor(noiseExact);
    noiseCarry = noiseExact - noiseCount;
    for (let n = 0; n < noiseCount; n++) {
      const time = slotStart + Math.floor(rng.next() * slotLength);
      const noise = buildNoiseRecord(rng, time, ACCOUNT_ID, namedIdentities);
      noiseEvents++;
      add(noise.region, JSON.stringify(noise.record), time);
    }
    for (const region of REGIONS) {
      const bucket = byRegion.get(region);
      if (bucket === undefined) continue;
      const records = bucket.records;
      written += records.length;
      // Shipped a few minutes after the slot closes; late-evening slots land in the next day's folder.
      const delivered = slotStart + slotLength + rng.int(60, 14 * 60);
      for (let i = 0; i < records.length; i += MAX_RECORDS_PER_FILE) {
        const chunk = records.slice(i, i + MAX_RECORDS_PER_FILE);
        const duplicates = pendingDuplicates.get(region);
        if (duplicates !== undefined && duplicates.length > 0 && i === 0) {
          // Duplicates recorded while filling this slot go out with the next file of the region.
          // A Set, not records.includes: that compared every record string per duplicate (quadratic).
          const inThisSlot = new Set(records);
          const fromEarlier = duplicates.filter((d) => !inThisSlot.has(d));
          chunk.push(...fromEarlier);
          duplicateRecords += fromEarlier.length;
          pendingDuplicates.set(
            region,
            duplicates.filter((d) => inThisSlot.has(d)),
          );
        }
        await writer.writeLogFile(region, delivered + i / MAX_RECORDS_PER_FILE, chunk, bucket.oldest, bucket.newest, rng);
      }
    }
    options.onProgress?.(written, total);
  }
  await writer.finish();

  const usage = new Map<string, RoleUsageSummary>();
  const roles: DemoRole[] = states.map((state) => {
    const { spec } = state.identity;
    const used = new Set<string>();
    const denied = new Set<string>();
    for (const index of state.used) {
      const call = spec.calls[index];
      if (call === undefined) continue;
      for (const action of call.actions) (call.denied === undefined ? used : denied).add(action);
    }
    if (state.events > 0) usage.set(spec.name, { lastUsed: { date: isoSeconds(state.lastTime), region: state.lastRegion } });
    return {
      name: spec.name,
      arn: state.identity.arn,
      path: spec.path,
      description: spec.description,
      usedActions: [...used].sort(),
      deniedActions: [...denied].sort(),
      events: state.events,
    };
  });

  const iamFile = join(options.outDir, 'iam.json');
  const lambdaFile = join(options.outDir, 'lambda-functions.json');
  await writeFile(iamFile, JSON.stringify(buildAuthorizationDetails(specs, ACCOUNT_ID, options.now, usage), null, 2) + '\n');
  await writeFile(lambdaFile, JSON.stringify(buildLambdaFunctions(specs, ACCOUNT_ID, 'eu-west-1'), null, 2) + '\n');
  const trailConfigFile = join(options.outDir, 'trail-event-selectors.json');
  await writeFile(trailConfigFile, JSON.stringify(demoTrailSelectors(ACCOUNT_ID), null, 2) + '\n');
  const manifest: DemoManifest = {
    accountId: ACCOUNT_ID,
    regions: [...REGIONS],
    logsDir,
    iamFile,
    lambdaFile,
    trailConfigFile,
    window: { start: isoSeconds(start), end: isoSeconds(end) },
    files: writer.files,
    events: written,
    bytes: writer.bytes,
    roles,
    duplicateRecords,
    digestFiles: writer.digestFiles,
    noiseEvents,
    slotMinutes,
  };
  await writeFile(join(options.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * The demo trail's settings as `aws cloudtrail get-event-selectors` prints them: every management
 * event, and the data events of every resource of the types the demo's roles touch (the generated
 * logs hold them all), so `minimize --trail-config` knows every bucket, table, function, queue,
 * topic and stream is logged.
 */
function demoTrailSelectors(account: string): unknown {
  const dataTypes = ['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Kinesis::Stream'];
  return {
    TrailARN: `arn:aws:cloudtrail:eu-west-1:${account}:trail/demo-trail`,
    AdvancedEventSelectors: [
      { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      ...dataTypes.map((type) => ({
        Name: `Data events: ${type}`,
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: [type] },
        ],
      })),
    ],
  };
}
