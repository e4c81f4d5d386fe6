/**
 * The domain vocabulary shared by every stage. Wire formats keep AWS casing (`Effect`, `Action`);
 * everything else is camelCase. Stage artefacts (usage, plan) are plain JSON-serialisable values.
 * Declared by stage under `model/`; import from here.
 */
export type * from './model/iam.js';
export type * from './model/ingest.js';
export type * from './model/mapping.js';
export type * from './model/usage.js';
export type * from './model/plan.js';
