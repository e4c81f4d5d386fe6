/**
 * Reads authorization details from disk (the `--iam FILE|DIR` adapter). A folder holds one file per
 * account (`aws iam get-account-authorization-details` run in each): they are merged into one
 * snapshot, so one scan of an organization's logs serves every account.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { IamSnapshot, NamedIamEntity } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { parseAuthorizationDetails } from './authorization-details.js';
import { errorCode } from '../util/error-code.js';

const HINT = 'create it with `aws iam get-account-authorization-details > iam.json`';

async function readOneFile(path: string): Promise<IamSnapshot> {
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new InputError(`--iam ${path}: cannot read it (${errorCode(cause)})`, { hint: HINT, cause });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InputError(`--iam ${path}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, { hint: HINT });
  }
  return parseAuthorizationDetails(json, path);
}

/** The 12-digit accounts a snapshot's role ARNs name, sorted. */
export function snapshotAccounts(iam: Pick<IamSnapshot, 'roles'>): string[] {
  const accounts = iam.roles.map((r) => /^arn:aws[\w-]*:iam::(\d{12}):/.exec(r.arn)?.[1]).filter((a): a is string => a !== undefined);
  return [...new Set(accounts)].sort(compareText);
}

function mergeEntities<T extends NamedIamEntity>(lists: readonly (readonly T[] | undefined)[]): T[] {
  const byArn = new Map<string, T>();
  for (const list of lists) for (const e of list ?? []) if (!byArn.has(e.arn)) byArn.set(e.arn, e);
  return [...byArn.values()].sort((a, b) => compareText(a.arn, b.arn));
}

/**
 * Merges per-account snapshots. Two files naming the same account would count its roles twice:
 * that is an input error naming both files.
 */
export function mergeSnapshots(dir: string, parts: readonly IamSnapshot[]): IamSnapshot {
  const owner = new Map<string, string>();
  for (const part of parts) {
    for (const account of snapshotAccounts(part)) {
      const other = owner.get(account);
      if (other !== undefined) {
        throw new InputError(`--iam ${dir}: ${other} and ${part.source} both hold roles of account ${account}`, {
          hint: 'keep one authorization-details file per account in the folder',
        });
      }
      owner.set(account, part.source);
    }
  }
  const accounts = [...owner.keys()].sort(compareText);
  return {
    source: `${dir} (${parts.length} ${parts.length === 1 ? 'file' : 'files'}, ${accounts.length} ${accounts.length === 1 ? 'account' : 'accounts'})`,
    roles: parts.flatMap((p) => p.roles).sort((a, b) => compareText(a.arn, b.arn)),
    users: mergeEntities(parts.map((p) => p.users)),
    instanceProfiles: mergeEntities(parts.map((p) => p.instanceProfiles)),
    policies: mergeEntities(parts.map((p) => p.policies)),
  };
}

export async function readIamSnapshotFile(path: string): Promise<IamSnapshot> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() !== true) return readOneFile(path);
  const names = (await readdir(path)).filter((n) => n.toLowerCase().endsWith('.json')).sort(compareText);
  if (names.length === 0) {
    throw new InputError(`--iam ${path}: the folder holds no .json file`, {
      hint: 'put one authorization-details file per account in it (`aws iam get-account-authorization-details > ACCOUNT.json`)',
    });
  }
  const parts: IamSnapshot[] = [];
  for (const name of names) parts.push(await readOneFile(join(path, name)));
  return mergeSnapshots(path, parts);
}
