/** `report.json`: the drift report as is, in the canonical on-disk JSON form. */
import type { DriftReport } from '../drift/report.js';
import { json } from './format.js';

export function renderDriftJson(report: DriftReport): string {
  return json(report);
}
