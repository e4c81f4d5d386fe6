/**
 * Turns an AWS SDK failure into the one-line UpstreamError users see (exit 4), with a hint for
 * the causes a user can fix: credentials, permissions, throttling that outlasted the retries,
 * a missing resource, a missing Region (a usage error: exit 2). Errors iamtrim raised itself pass
 * through untouched.
 */
import { ToolError, UpstreamError, UsageError } from '../errors.js';

interface SdkErrorShape {
  name: string;
  message: string;
  status?: number;
}

function sdkError(error: unknown): SdkErrorShape {
  if (error instanceof Error) {
    const meta = (error as Error & { $metadata?: { httpStatusCode?: number } }).$metadata;
    const shape: SdkErrorShape = { name: error.name, message: error.message.split('\n')[0] ?? '' };
    if (meta?.httpStatusCode !== undefined) shape.status = meta.httpStatusCode;
    return shape;
  }
  return { name: 'Error', message: String(error) };
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const THROTTLE_ERRORS = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** The hint for an SDK error name: what the user can do about it. */
export function hintFor(name: string, permission: string): string {
  if (CREDENTIAL_ERRORS.has(name)) return 'check your AWS credentials (aws sts get-caller-identity), --profile and --assume-role';
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation') {
    return `the caller needs ${permission}; see docs/permissions.md for the policy iamtrim needs`;
  }
  if (THROTTLE_ERRORS.has(name)) return 'AWS kept throttling after retries; run again later or with a smaller window';
  return 'run again; if it persists, check the AWS service health and your network';
}

/**
 * Wraps an SDK error as an UpstreamError naming the call (`athena:StartQueryExecution`).
 * ToolErrors (already translated) are returned as they are.
 */
export function upstreamError(call: string, error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  const e = sdkError(error);
  if (e.message === 'Region is missing') {
    return new UsageError(`${call}: no AWS Region given`, {
      hint: 'pass --region (for example --region eu-west-1), or set AWS_REGION or AWS_DEFAULT_REGION, or set region in the profile',
      cause: error,
    });
  }
  const status = e.status !== undefined ? ` (HTTP ${e.status})` : '';
  return new UpstreamError(`${call} failed: ${e.name}: ${e.message}${status}`, { hint: hintFor(e.name, call), cause: error });
}

/** Runs one AWS call and translates its failure. */
export async function callAws<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw upstreamError(call, error);
  }
}
