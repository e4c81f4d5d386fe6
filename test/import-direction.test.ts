/**
 * Imports point one way along the pipeline (docs/architecture.md, "Folders"): a folder of `src/`
 * may import only from itself and from folders earlier in LAYERS. A new folder must be placed in
 * LAYERS before anything imports it, so a cycle between folders cannot come back unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Lowest first. The top-level files `errors.ts`, `limits.ts`, `model.ts`, `bin.ts` count as folders of their own. */
const LAYERS = [
  'util',
  'limits',
  'errors',
  'model',
  'aws',
  'iam',
  'mapping',
  'ingest',
  'usage',
  'diff',
  'policy',
  'app',
  'drift',
  'render',
  'pr',
  'demo',
  'bench',
  'cli',
  'bin',
] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The folder of `src/` a path lies in (`src/model.ts` and `src/model/*.ts` are both `model`). */
function folderOf(path: string): string {
  const [first = ''] = relative(SRC, path).split('/');
  return first.replace(/\.(ts|js|json)$/, '');
}

/** Relative specifiers of static imports, re-exports and dynamic `import()`. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) found.push(m[1] ?? '');
  return found;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  target: string;
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file: relative(SRC, file), target: relative(SRC, target) });
    }
  }
  return edges;
}

describe('folder-level import direction', () => {
  const edges = folderEdges();
  const rank = new Map<string, number>(LAYERS.map((name, i) => [name, i]));

  it('reads the imports it checks (static, re-export, dynamic)', () => {
    expect(relativeImports(`import { a } from './a.js';\nexport * from '../b/c.js';\nconst m = await import('../d.js');\nimport './side.js';`)).toEqual([
      './a.js',
      '../b/c.js',
      '../d.js',
      './side.js',
    ]);
    // Known edges of the pipeline are seen, so an empty result cannot pass for a clean one.
    expect(edges.some((e) => e.from === 'cli' && e.to === 'app')).toBe(true);
    expect(edges.some((e) => e.from === 'policy' && e.to === 'iam')).toBe(true);
  });

  it('every folder of src/ has a place in the order', () => {
    const folders = [...new Set(sourceFiles(SRC).map(folderOf))].sort();
    expect(folders.filter((f) => !rank.has(f))).toEqual([]);
  });

  it('no folder imports from a later one', () => {
    const upward = edges
      .filter((e) => (rank.get(e.to) ?? Infinity) >= (rank.get(e.from) ?? -1))
      .map((e) => `${e.file} -> ${e.target} (${e.from} imports later ${e.to})`);
    expect(upward).toEqual([]);
  });
});
