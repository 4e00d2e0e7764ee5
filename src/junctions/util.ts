/** Small helpers the junction kinds share (words for shapes and numbers). */
import type { Shape } from '../layers/kind.js';

export const fmt = (shape: Shape): string => `[${shape.join(', ')}]`;
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
export const round = (v: number): number => Math.round(v * 1e6) / 1e6;
/** `left [16], right [12]` */
export const describeShapes = (towers: readonly string[], shapes: readonly Shape[]): string => towers.map((t, i) => `${t} ${fmt(shapes[i]!)}`).join(', ');
