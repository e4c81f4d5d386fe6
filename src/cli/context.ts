/** What every command gets: the process boundary, the result code, and lazily built shared data. */
import type { ExitCode } from '../errors.js';
import type { IamCatalog } from '../iam/catalog.js';
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
 * loading (a promise), so the snapshot and the catalogue load side by side. Their modules (the
 * catalogue, the mapping tables and zod, which validates them) are imported here, not when the
 * command is: a scan started before this is awaited has its workers running while they load.
 */
export async function loadReferenceData(identity?: IamIdentity | Promise<IamIdentity | undefined>): Promise<{ catalog: IamCatalog; mapCall: CallMapper }> {
  const [{ loadCatalog }, { createMapper }, { mappingTables }] = await Promise.all([
    import('../iam/catalog.js'),
    import('../mapping/map-call.js'),
    import('../mapping/tables.js'),
  ]);
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
