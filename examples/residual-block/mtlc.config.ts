/**
 * The example plugin's config: one extra layer kind, `residualDense` (./residual-kind.ts). mtlc
 * finds this file from the working directory upward; `--config` names it explicitly.
 */
import { defineConfig } from 'mtlc';
import { residualDense } from './residual-kind.js';

export default defineConfig({ layerKinds: [residualDense] });
