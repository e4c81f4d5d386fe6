/** The unified diff of the current vs. the proposed policy documents (the `diff` package). */
import { createTwoFilesPatch } from 'diff';
import type { PolicyDocument } from '../model.js';
import { json } from './format.js';

export function renderPolicyDiff(current: readonly PolicyDocument[], proposed: readonly PolicyDocument[], label: string): string {
  return createTwoFilesPatch(`${label} (current)`, `${label} (proposed)`, json(current), json(proposed), '', '', {
    context: 3,
  });
}
