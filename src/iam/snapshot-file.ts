/** Reads an authorization-details file from disk (the `--iam FILE` adapter). */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { IamSnapshot } from '../model.js';
import { parseAuthorizationDetails } from './authorization-details.js';
import { errorCode } from '../util/error-code.js';

export async function readIamSnapshotFile(path: string): Promise<IamSnapshot> {
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new InputError(`--iam ${path}: cannot read it (${errorCode(cause)})`, {
      hint: 'create it with `aws iam get-account-authorization-details > iam.json`',
      cause,
    });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InputError(`--iam ${path}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, {
      hint: 'create it with `aws iam get-account-authorization-details > iam.json`',
    });
  }
  return parseAuthorizationDetails(json, path);
}
