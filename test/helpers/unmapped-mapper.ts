/**
 * A mapper with some calls' mapping deleted: the same mapper, except that the listed
 * (eventSource, eventName) pairs come back `unmapped` (with the outcome the error-code table gives),
 * as if their rows were missing from the tables and no `<prefix>:<eventName>` default applied.
 * The tables under src/mapping/data are never edited.
 */
import type { CallMapper } from '../../src/usage/reduce.js';

export function withoutMapping(base: CallMapper, calls: ReadonlySet<string>, serviceOf?: (eventSource: string) => string): CallMapper {
  return (row) => {
    const mapped = base(row);
    if (mapped.kind !== 'mapped' || !calls.has(`${row.eventSource} ${row.eventName}`)) return mapped;
    return {
      kind: 'unmapped',
      outcome: mapped.outcome,
      ...(serviceOf !== undefined ? { service: serviceOf(row.eventSource) } : {}),
      diagnostics: [
        {
          code: 'unmapped',
          severity: 'warning',
          message: `no IAM action known for ${row.eventSource} ${row.eventName}`,
          subject: `${row.eventSource}:${row.eventName}`,
          count: row.count,
        },
      ],
    };
  };
}
