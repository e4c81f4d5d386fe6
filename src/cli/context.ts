/** What every command gets: the process boundary, the result code, and lazily built shared data. */
import type { ExitCode } from '../errors.js';
import { loadCatalog, type IamCatalog } from '../iam/catalog.js';
import { createMapper } from '../mapping/map-call.js';
import { mappingTables } from '../mapping/tables.js';
import type { IamIdentity } from '../model.js';
import type { CallMapper } from '../usage/reduce.js';
import { writeFileAtomic, type RunIo } from './io.js';

export interface CommandContext {
  io: RunIo;
  result: ExitCode;
}

/**
 * The catalogue and the call mapper. `identity` (the IAM snapshot) gives the mapper the paths of
 * roles, users and instance profiles and the role each instance profile holds; it may still be
 * loading (a promise), so the snapshot and the catalogue load side by side.
 */
export async function loadReferenceData(identity?: IamIdentity | Promise<IamIdentity | undefined>): Promise<{ catalog: IamCatalog; mapCall: CallMapper }> {
  const [catalog, known] = await Promise.all([loadCatalog(), identity]);
  return { catalog, mapCall: createMapper(catalog, mappingTables(), known === undefined ? {} : { identity: known }) };
}

/** Writes a command's output to --out (atomically) or stdout. */
export async function emit(ctx: CommandContext, text: string, out: string | undefined): Promise<void> {
  if (out === undefined) ctx.io.out(text);
  else {
    await writeFileAtomic(out, text);
    ctx.io.notice(`wrote ${out}\n`);
  }
}
