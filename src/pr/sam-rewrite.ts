/**
 * Rewrites the `Policies:` of one `AWS::Serverless::Function` in a SAM `template.yaml` as a pure
 * function of the text. The YAML is parsed only to find the block's source range; the new block
 * is spliced in as text, so comments, key order, quoting and intrinsic functions (`!Ref`, `!Sub`)
 * everywhere else stay byte-identical and a pull request shows the policies and nothing else.
 */
import { isMap, isNode, isPair, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';

function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

function findPair(map: YAMLMap, name: string): Pair | undefined {
  return map.items.find((p): p is Pair => isPair(p) && keyName(p) === name);
}

function nodeRange(value: unknown): readonly [number, number, number] | undefined {
  return isNode(value) ? (value.range ?? undefined) : undefined;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** `Policies:` and its items, re-indented so the key sits at `column`. */
function placeBlock(policiesYaml: string, column: number, eol: string): string {
  const body = policiesYaml.replace(/\r\n/g, '\n').replace(/\n$/, '');
  const block = /^Policies:/.test(body) ? body : `Policies:\n${body.replace(/^/gm, '  ')}`;
  const pad = ' '.repeat(column);
  return block
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join(eol);
}

/**
 * Replaces (or adds) `Resources.<logicalId>.Properties.Policies`. `policiesYaml` is the block as
 * `samPoliciesYaml` prints it (`Policies:` at column 0), or just the sequence.
 */
export function rewriteSamPolicies(templateText: string, logicalId: string, policiesYaml: string): string {
  const doc = parseDocument(templateText, { keepSourceTokens: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new InputError(`template: not valid YAML (${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'})`);
  }
  if (!isMap(doc.contents)) throw new InputError('template: not a SAM template (the top level is not a mapping)');
  const resources = findPair(doc.contents, 'Resources')?.value;
  if (!isMap(resources)) throw new InputError('template: no Resources mapping');
  const resource = findPair(resources, logicalId)?.value;
  if (!isMap(resource)) {
    const ids = resources.items.flatMap((p) => (isPair(p) && keyName(p) !== undefined ? [keyName(p)] : []));
    throw new InputError(`--resource ${logicalId}: no such resource in the template`, { hint: `resources: ${ids.slice(0, 8).join(', ')}` });
  }
  const type = findPair(resource, 'Type')?.value;
  if (!isScalar(type) || type.value !== 'AWS::Serverless::Function') {
    throw new InputError(`--resource ${logicalId}: is ${isScalar(type) ? String(type.value) : 'untyped'}, not AWS::Serverless::Function`);
  }
  const properties = findPair(resource, 'Properties')?.value;
  if (!isMap(properties) || properties.flow === true || properties.range === undefined || properties.range === null) {
    throw new InputError(`--resource ${logicalId}: has no block-style Properties mapping to hold Policies`);
  }
  if (findPair(properties, 'Role') !== undefined) {
    throw new InputError(`--resource ${logicalId}: sets Role, so SAM ignores Policies`, {
      hint: 'rewrite the role where it is defined, or remove Role to let SAM create one from Policies',
    });
  }
  // A CRLF template keeps CRLF in the new block too.
  const eol = templateText.includes('\r\n') ? '\r\n' : '\n';
  const existing = findPair(properties, 'Policies');
  const keyNode = existing?.key;
  if (existing !== undefined && isScalar(keyNode) && keyNode.range !== undefined && keyNode.range !== null) {
    const value = existing.value;
    const start = keyNode.range[0];
    const end = nodeRange(value)?.[1] ?? keyNode.range[2];
    const column = start - lineStart(templateText, start);
    // Keep whatever line ending followed the old block (valueEnd of a block sequence may include it).
    const tail = templateText.slice(start, end).match(/\r?\n$/)?.[0] ?? '';
    return templateText.slice(0, start) + placeBlock(policiesYaml, column, eol) + tail + templateText.slice(end);
  }
  // No Policies yet: add it as the last property, at the properties' indentation.
  const first = properties.items[0];
  const last = properties.items.at(-1);
  const firstKey = first !== undefined && isScalar(first.key) ? first.key.range : undefined;
  const lastRange = nodeRange(last?.value);
  if (firstKey === undefined || firstKey === null || lastRange === undefined) {
    throw new InputError(`--resource ${logicalId}: cannot find where to add Policies in its Properties`);
  }
  const column = firstKey[0] - lineStart(templateText, firstKey[0]);
  let at = lastRange[1];
  const newlineAt = templateText.indexOf('\n', at - 1 >= 0 && templateText[at - 1] === '\n' ? at - 1 : at);
  at = newlineAt < 0 ? templateText.length : newlineAt + 1;
  const prefix = newlineAt < 0 ? eol : '';
  return `${templateText.slice(0, at)}${prefix}${' '.repeat(column)}${placeBlock(policiesYaml, column, eol)}${eol}${templateText.slice(at)}`;
}
