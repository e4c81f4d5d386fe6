/** One renderer per output format, behind one registry: the CLI's --format choices come from here. */
import type { MinimizePlan } from '../model.js';
import { renderMinimizeJson } from './minimize-json.js';
import { renderMinimizeText } from './minimize-text.js';
import { renderCloudFormation } from './cloudformation.js';
import { renderTerraform } from './terraform.js';
import { renderMinimizeSam } from './sam.js';

export type MinimizeRenderer = (plan: MinimizePlan) => string;

export const MINIMIZE_RENDERERS = {
  text: renderMinimizeText,
  json: renderMinimizeJson,
  terraform: renderTerraform,
  cloudformation: renderCloudFormation,
  sam: (plan: MinimizePlan) => renderMinimizeSam(plan),
} as const satisfies Record<string, MinimizeRenderer>;

export type MinimizeFormat = keyof typeof MINIMIZE_RENDERERS;
export const MINIMIZE_FORMATS = Object.keys(MINIMIZE_RENDERERS) as MinimizeFormat[];
