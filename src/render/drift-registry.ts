/** The drift report's output files, one renderer each: the CLI writes every entry into --out DIR. */
import type { DriftReport } from '../drift/report.js';
import { renderDriftHtml } from './drift-html.js';
import { renderDriftJson } from './drift-json.js';
import { renderDriftMarkdown } from './drift-markdown.js';

export type DriftRenderer = (report: DriftReport) => string;

export const DRIFT_OUTPUTS = {
  'report.md': renderDriftMarkdown,
  'report.json': renderDriftJson,
  'report.html': renderDriftHtml,
} as const satisfies Record<string, DriftRenderer>;
