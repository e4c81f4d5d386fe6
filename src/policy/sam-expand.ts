/**
 * A SAM function's `Policies:` value (parsed YAML) -> IAM policy documents, the way the SAM
 * translator expands it: policy templates from our table, inline documents as they are, managed
 * policy names kept aside. Used to check rendered output and to read templates in drift reports.
 */
import type { PolicyDocument, Statement } from '../model.js';
import { POLICY_VERSION } from './canonical.js';
import { expandTemplate, samTemplate, type SamContext, type SamTemplateUse } from './sam-templates.js';

export interface ExpandedSamPolicies {
  /** Template expansions first (one document), then each inline document. */
  documents: PolicyDocument[];
  templates: SamTemplateUse[];
  /** Managed policy names or ARNs (`- AWSLambdaBasicExecutionRole`). */
  managed: string[];
  /** Items we cannot expand: templates not in our table, intrinsic functions. */
  unknown: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return out;
}

function isStatement(value: unknown): value is Statement {
  return isRecord(value) && (value.Effect === 'Allow' || value.Effect === 'Deny');
}

/** Expands a parsed `Policies:` value (a sequence, or one item) in a stack context. */
export function expandSamPolicyItems(items: unknown, context: SamContext): ExpandedSamPolicies {
  const list = Array.isArray(items) ? items : [items];
  const out: ExpandedSamPolicies = { documents: [], templates: [], managed: [], unknown: [] };
  const templateStatements: Statement[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      out.managed.push(item);
      continue;
    }
    if (!isRecord(item)) {
      out.unknown.push(JSON.stringify(item));
      continue;
    }
    if ('Statement' in item) {
      const raw = item.Statement;
      const statements = (Array.isArray(raw) ? raw : [raw]).filter(isStatement);
      out.documents.push({ Version: typeof item.Version === 'string' ? item.Version : POLICY_VERSION, Statement: statements });
      continue;
    }
    const keys = Object.keys(item);
    const name = keys[0];
    const parameters = stringRecord(item[name ?? '']);
    if (keys.length !== 1 || name === undefined || samTemplate(name) === undefined || parameters === undefined) {
      out.unknown.push(keys.join(','));
      continue;
    }
    const use = { template: name, parameters };
    out.templates.push(use);
    templateStatements.push(...expandTemplate(use, context));
  }
  if (templateStatements.length > 0) out.documents.unshift({ Version: POLICY_VERSION, Statement: templateStatements });
  return out;
}
