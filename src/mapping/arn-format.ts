/**
 * ARN templates as the catalogue writes them (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`):
 * matching a concrete ARN against a format, filling a template, and the narrowest pattern a
 * format allows when the resource itself is unknown.
 */

const VARIABLE = /\$\{([^}]+)\}/g;

/** Variables that never contain a colon; every other variable may contain `/` and `:`. */
const SEGMENT_VARIABLES = new Set(['Partition', 'Region', 'Account']);

export interface ArnFormat {
  template: string;
  regex: RegExp;
  /** Literal characters in the template: more literals means a more specific format. */
  specificity: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A format the catalogue gives as alternatives (`arn:…::/apis/${ApiId}/stages/${StageName}, arn:…`)
 * matches any of them; its specificity is the least of theirs.
 */
export function compileArnFormat(template: string): ArnFormat {
  const alternatives = template.split(/,\s*(?=arn:)/);
  if (alternatives.length > 1) {
    const each = alternatives.map(compileOne);
    return {
      template,
      regex: new RegExp(each.map((f) => `(?:${f.regex.source})`).join('|')),
      specificity: Math.min(...each.map((f) => f.specificity)),
    };
  }
  return compileOne(template);
}

function compileOne(template: string): ArnFormat {
  let pattern = '';
  let literal = 0;
  let last = 0;
  for (const m of template.matchAll(VARIABLE)) {
    const text = template.slice(last, m.index);
    pattern += escapeRegex(text);
    literal += text.length;
    pattern += SEGMENT_VARIABLES.has(m[1] ?? '') ? '[^:]*' : '.+';
    last = m.index + m[0].length;
  }
  const tail = template.slice(last);
  pattern += escapeRegex(tail);
  literal += tail.length;
  return { template, regex: new RegExp(`^${pattern}$`), specificity: literal };
}

/** The variable names of a template, in order. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)].map((m) => m[1] ?? '');
}

/** Replaces each `${name}` by `values[name]`, or by `fallback` when the name has no value. */
export function fillTemplate(template: string, values: Record<string, string>, fallback?: string): string | undefined {
  let missing = false;
  const out = template.replace(VARIABLE, (_whole, name: string) => {
    const value = values[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}

/** `arn:aws:dynamodb:eu-west-1:123456789012:table/*`: Partition, Region and Account filled, the rest `*`. */
export function narrowestPattern(template: string, partition: string, region: string, account: string): string {
  return fillTemplate(template, { Partition: partition, Region: region, Account: account }, '*') ?? '*';
}

/** The partition of an ARN (`aws`, `aws-us-gov`, `aws-cn`), or undefined when it is not an ARN. */
export function arnPartition(arn: string): string | undefined {
  const m = /^arn:([^:]+):/.exec(arn);
  return m?.[1];
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}
