/**
 * Test helpers for the Terraform/CloudFormation round trip: a corpus of real-world policy
 * documents, and the conversion back from parsed HCL to IAM JSON the way the AWS provider's
 * `aws_iam_policy_document` does it (single values collapse to strings, `&{` becomes `${`).
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildAuthorizationDetails } from '../src/demo/iam-details.js';
import { NAMED_ROLES } from '../src/demo/catalogue-named.js';
import { ACCOUNT_ID } from '../src/demo/call-builders.js';
import type { PolicyDocument, Statement } from '../src/model.js';

export interface CorpusEntry {
  name: string;
  doc: PolicyDocument;
}

/** Every object with a `Statement` key anywhere in a JSON value (policies, trust policies, versions). */
function collectPolicies(value: unknown, path: string, out: CorpusEntry[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectPolicies(v, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if ('Statement' in record) {
    const raw = record['Statement'];
    const statements = (Array.isArray(raw) ? raw : [raw]) as Statement[];
    out.push({ name: path, doc: { ...(record as object), Statement: statements } as PolicyDocument });
    return;
  }
  for (const [k, v] of Object.entries(record)) collectPolicies(v, `${path}.${k}`, out);
}

const DATASETS = '/work/shared/datasets/iam/cloudsplaining';

/** cloudsplaining's example accounts, the demo account's grants, and every fixture's proposal. */
export function policyCorpus(): { realWorld: CorpusEntry[]; proposed: CorpusEntry[] } {
  const realWorld: CorpusEntry[] = [];
  for (const file of ['example.json', 'example-authz-details.json', 'example_authz_v2.json']) {
    const path = join(DATASETS, file);
    if (existsSync(path)) collectPolicies(JSON.parse(readFileSync(path, 'utf8')), file, realWorld);
  }
  collectPolicies(buildAuthorizationDetails(NAMED_ROLES, ACCOUNT_ID, new Date('2026-01-01T00:00:00Z'), new Map()), 'demo', realWorld);
  const proposed: CorpusEntry[] = [];
  const fixtures = join(import.meta.dirname, '..', 'fixtures');
  for (const scenario of existsSync(fixtures) ? readdirSync(fixtures).sort() : []) {
    const path = join(fixtures, scenario, 'expected', 'minimize.json');
    if (!existsSync(path)) continue;
    const plan = JSON.parse(readFileSync(path, 'utf8')) as { proposed?: PolicyDocument[] };
    (plan.proposed ?? []).forEach((doc, i) => proposed.push({ name: `${scenario}#${i}`, doc }));
  }
  return { realWorld, proposed };
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function unescapeTemplate(s: string): string {
  // hcl2json returns template literals with `$${` / `%%{` still doubled.
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function fromPolicyString(s: Json): string {
  return unescapeTemplate(String(s)).replace(/&\{/g, '${');
}

function collapse(values: Json): string | string[] {
  const list = (Array.isArray(values) ? values : [values]).map(fromPolicyString);
  return list.length === 1 && list[0] !== undefined ? list[0] : list;
}

function blocks(value: Json | undefined): Array<Record<string, Json>> {
  return (Array.isArray(value) ? value : []) as Array<Record<string, Json>>;
}

function principals(list: Array<Record<string, Json>>): unknown {
  if (list.length === 1 && list[0]?.['type'] === '*') return '*';
  const out: Record<string, string | string[]> = {};
  for (const p of list) out[String(p['type'])] = collapse(p['identifiers'] ?? []);
  return out;
}

/** A parsed `data "aws_iam_policy_document"` body -> the policy JSON the provider would produce. */
export function policyFromHcl(body: Record<string, Json>): PolicyDocument {
  // Keys in the order IAM (and canonicalPolicy) writes them, so JSON text can be compared.
  const doc: PolicyDocument = {
    ...(body['version'] !== undefined ? { Version: String(body['version']) } : {}),
    ...(body['policy_id'] !== undefined ? { Id: fromPolicyString(body['policy_id']) } : {}),
    Statement: [],
  };
  for (const s of blocks(body['statement'])) {
    const st: Statement = {
      ...(s['sid'] !== undefined ? { Sid: fromPolicyString(s['sid']) } : {}),
      Effect: String(s['effect'] ?? 'Allow') as 'Allow' | 'Deny',
    };
    if (s['actions'] !== undefined) st.Action = collapse(s['actions']);
    if (s['not_actions'] !== undefined) st.NotAction = collapse(s['not_actions']);
    if (s['resources'] !== undefined) st.Resource = collapse(s['resources']);
    if (s['not_resources'] !== undefined) st.NotResource = collapse(s['not_resources']);
    for (const c of blocks(s['condition'])) {
      st.Condition ??= {};
      const test = String(c['test']);
      st.Condition[test] = { ...st.Condition[test], [fromPolicyString(c['variable'] ?? '')]: collapse(c['values'] ?? []) };
    }
    if (s['principals'] !== undefined) st.Principal = principals(blocks(s['principals']));
    if (s['not_principals'] !== undefined) st.NotPrincipal = principals(blocks(s['not_principals']));
    doc.Statement.push(st);
  }
  return doc;
}

/** The same policy with every list-or-string as a list of strings, for comparing IAM meaning. */
export function listForm(doc: PolicyDocument): unknown {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).map(String);
  const principal = (p: unknown): unknown =>
    p === '*' || p === undefined ? p : Object.fromEntries(Object.entries(p as Record<string, unknown>).map(([k, v]) => [k, list(v)]));
  return {
    Version: doc.Version,
    Id: doc.Id,
    Statement: doc.Statement.map((s) => ({
      Sid: s.Sid,
      Effect: s.Effect,
      Action: s.Action === undefined ? undefined : list(s.Action),
      NotAction: s.NotAction === undefined ? undefined : list(s.NotAction),
      Resource: s.Resource === undefined ? undefined : list(s.Resource),
      NotResource: s.NotResource === undefined ? undefined : list(s.NotResource),
      Condition:
        s.Condition === undefined
          ? undefined
          : Object.fromEntries(Object.entries(s.Condition).map(([op, b]) => [op, Object.fromEntries(Object.entries(b).map(([k, v]) => [k, list(v)]))])),
      Principal: principal(s.Principal),
      NotPrincipal: principal(s.NotPrincipal),
    })),
  };
}
