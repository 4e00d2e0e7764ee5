/**
 * The built-in junction kinds, registered through the same `JunctionKind` interface a user's
 * plugin implements. Adding a kind: its own file, and one line here.
 */
import { crossStitch } from './cross-stitch.js';
import type { JunctionKind } from './kind.js';
import { nddr } from './nddr.js';
import { sluice } from './sluice.js';

export const builtinJunctionKinds: readonly JunctionKind[] = Object.freeze([crossStitch, sluice, nddr]);

export { crossStitch, sluice, nddr };
export { defineJunctionKind, junctionOptions, COMMON_JUNCTION_PROPERTIES } from './kind.js';
export type { JunctionConfig, JunctionInput, JunctionIssue, JunctionKind, JunctionLowerings, JunctionOptions, JunctionResult } from './kind.js';
export type { CrossStitchOptions } from './cross-stitch.js';
export type { NddrOptions } from './nddr.js';
export type { SluiceOptions } from './sluice.js';
