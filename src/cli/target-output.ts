/**
 * Says, in each output format, which role a `--function` resolved to and which functions share it:
 * minimizing a shared role changes every one of them, so the output must name them.
 */
import { json } from '../render/format.js';
import { describeResolution, resolutionJson } from '../iam/lambda-functions.js';
import type { RoleTarget } from './role-target.js';

/** Adds the resolution to rendered output: a `lambda` member in JSON, a first line in text. */
export function withFunctionTarget(text: string, format: string, target: RoleTarget): string {
  const r = target.resolution;
  if (r === undefined) return text;
  if (format === 'json') {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return json({ ...parsed, lambda: resolutionJson(r) });
    return text;
  }
  if (format === 'text') return `${describeResolution(r)}\n${text}`;
  return text;
}
