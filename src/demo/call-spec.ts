/**
 * Types shared by the demo event catalogues: one `CallSpec` per kind of API call a role makes.
 * The IAM actions are written by hand per call (not derived from iamtrim's mapping), so the
 * tests can check the mapping end to end against an independent answer.
 */
import type { Prng } from './prng.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** What a call puts into the variable parts of its record. */
export interface CallOutput {
  requestParameters: JsonObject | null;
  responseElements?: JsonObject | null;
  resources?: JsonObject[];
  additionalEventData?: JsonObject;
  /** Host header; defaults to `<service>.<region>.amazonaws.com`. */
  host?: string;
}

/** Inputs a call needs to invent realistic parameters. */
export interface CallContext {
  rng: Prng;
  account: string;
  region: string;
  /** `YYYY-MM-DD` of the event, for date-partitioned keys. */
  day: string;
}

export interface CallSpec {
  eventSource: string;
  eventName: string;
  /** IAM actions the call needs, canonical case; empty for calls that need no permission. */
  actions: readonly string[];
  category: 'Management' | 'Data';
  readOnly: boolean;
  /** Relative frequency within the role. */
  weight: number;
  /** IAM and global-endpoint STS calls are recorded in us-east-1. */
  global?: boolean;
  /** A fixed region for this call, overriding the role's home region. */
  region?: string;
  apiVersion?: string;
  /** Errors that are not authorisation failures: the action was still exercised. */
  failure?: { rate: number; code: string; message: string };
  /** Every call of this kind is an authorisation failure (a denied attempt). */
  denied?: { code: string; message: string };
  build(ctx: CallContext): CallOutput;
}

/** How a role's sessions look in `userIdentity` and where its calls come from. */
export type PrincipalKind = 'lambda' | 'ecs' | 'github-oidc' | 'ec2' | 'service-linked';

/** How a role's activity is spread over the day and week. */
export type ActivityProfile = 'daytime-bump' | 'steady' | 'business-bursts' | 'nightly-batch' | 'idle';

/** A role of the demo account and what it does. */
export interface RoleSpec {
  name: string;
  path: string;
  description: string;
  kind: PrincipalKind;
  profile: ActivityProfile;
  /** Share of all events; normalised across roles. */
  share: number;
  homeRegion: string;
  /** Session names the role's callers use (e.g. Lambda function names). */
  sessionNames: readonly string[];
  calls: readonly CallSpec[];
}
