/** What every command gets: the process boundary, the result code, and lazily built shared data. */
import type { ExitCode } from '../errors.js';
import { loadCatalog, type IamCatalog } from '../iam/catalog.js';
import { createMapper } from '../mapping/map-call.js';
import type { CallMapper } from '../usage/reduce.js';
import { writeFileAtomic, type RunIo } from './io.js';

export interface CommandContext {
  io: RunIo;
  result: ExitCode;
}

export async function loadReferenceData(): Promise<{ catalog: IamCatalog; mapCall: CallMapper }> {
  const catalog = await loadCatalog();
  return { catalog, mapCall: createMapper(catalog) };
}

/** Writes a command's output to --out (atomically) or stdout. */
export async function emit(ctx: CommandContext, text: string, out: string | undefined): Promise<void> {
  if (out === undefined) ctx.io.out(text);
  else {
    await writeFileAtomic(out, text);
    ctx.io.notice(`wrote ${out}\n`);
  }
}
