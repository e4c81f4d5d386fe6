/**
 * Low-level HCL writing shared by the Terraform renderer and the Terraform file rewrite: string
 * literals with template sequences escaped, `terraform fmt`-style aligned attributes, and
 * object/tuple expressions (for `jsonencode({...})`). Pure functions, deterministic output.
 */

/** Terraform would read `${` and `%{` in a quoted string as a template: double the marker. */
export function escapeTemplate(text: string): string {
  // A function replacement: in a replacement string `$$` would mean one `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** A quoted HCL string literal whose value is exactly `text`. */
export function hclString(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `"${escapeTemplate(escaped)}"`;
}

/** A bare identifier can be an object key or attribute name; anything else is quoted. */
export function hclKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : hclString(key);
}

/** A snake_case block label (Terraform convention), derived from any name: `app-api` -> `app_api`. */
export function hclLabel(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** One attribute or nested block inside a body, before layout. */
export type HclItem = { kind: 'attribute'; name: string; value: string } | { kind: 'block'; type: string; body: HclItem[] };

/** A list of string literals: inline when it has one element, else one element per line. */
export function hclStringList(values: readonly string[], indent: string, quote: (s: string) => string = hclString): string {
  if (values.length === 1 && values[0] !== undefined) return `[${quote(values[0])}]`;
  if (values.length === 0) return '[]';
  return `[\n${values.map((v) => `${indent}  ${quote(v)},`).join('\n')}\n${indent}]`;
}

/**
 * Lays out a body the way `terraform fmt` does: attributes first with `=` aligned across each run
 * of single-line attributes, then nested blocks separated by a blank line.
 */
export function layoutBody(items: readonly HclItem[], indent: string): string[] {
  const lines: string[] = [];
  let run: Array<{ name: string; value: string }> = [];
  const flush = (): void => {
    const width = Math.max(0, ...run.filter((a) => !a.value.includes('\n')).map((a) => a.name.length));
    for (const a of run) {
      const pad = a.value.includes('\n') ? a.name : a.name.padEnd(width);
      lines.push(`${indent}${pad} = ${a.value}`);
    }
    run = [];
  };
  let previous: HclItem['kind'] | undefined;
  for (const item of items) {
    if (item.kind === 'attribute') {
      if (item.value.includes('\n')) {
        flush();
        run.push(item);
        flush();
      } else run.push(item);
    } else {
      flush();
      if (previous !== undefined) lines.push('');
      lines.push(`${indent}${item.type} {`, ...layoutBody(item.body, `${indent}  `), `${indent}}`);
    }
    previous = item.kind;
  }
  flush();
  return lines;
}

/** JSON-like value -> HCL expression (objects with `key = value`, aligned; tuples one per line). */
export function hclValue(value: unknown, indent: string): string {
  if (typeof value === 'string') return hclString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalar = value.every((v) => typeof v !== 'object' || v === null);
    if (scalar && value.length === 1) return `[${hclValue(value[0], indent)}]`;
    return `[\n${value.map((v) => `${indent}  ${hclValue(v, `${indent}  `)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const items: HclItem[] = entries.map(([k, v]) => ({ kind: 'attribute', name: hclKey(k), value: hclValue(v, `${indent}  `) }));
  return `{\n${layoutBody(items, `${indent}  `).join('\n')}\n${indent}}`;
}
