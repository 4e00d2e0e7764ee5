/**
 * The example plugin's config: one extra junction kind, `gate` (./gate-kind.ts). mtlc finds this
 * file from the working directory upward; `--config` names it explicitly.
 */
import { defineConfig } from 'mtlc';
import { gate } from './gate-kind.js';

export default defineConfig({ junctionKinds: [gate] });
