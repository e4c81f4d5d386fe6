/**
 * Expressions (Terraform references and template expressions, CloudFormation intrinsics,
 * Serverless Framework variables) survive a rewrite as placeholder tokens: each value an
 * expression stood for becomes a token before the document is printed, and each token becomes the
 * expression's own source text again after.
 */
export interface ExpressionTokens {
  /** The token for `value` when an expression stood for it, else `value` itself. */
  token(value: string): string;
  /** `text` with every token, written between `quote`s, replaced by its expression's source. */
  restore(text: string, quote?: string): string;
}

export function expressionTokens(expressions: ReadonlyMap<string, string>): ExpressionTokens {
  const tokens = new Map<string, string>();
  return {
    token(value) {
      const source = expressions.get(value);
      if (source === undefined) return value;
      const t = `IAMTRIMEXPRESSION${tokens.size}X`;
      tokens.set(t, source);
      return t;
    },
    restore(text, quote = '') {
      let out = text;
      for (const [t, source] of tokens) out = out.split(`${quote}${t}${quote}`).join(source);
      return out;
    },
  };
}
