// The README's spec example is what a new user copies first: it must validate as written.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../src/api/validate.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('has a spec example', () => {
    expect(yamlBlocks.length).toBeGreaterThan(0);
  });
  it.each(yamlBlocks.map((text, i) => [i, text] as const))('yaml block %i validates with no diagnostics', (_, text) => {
    const result = validateSpec(text, 'README.md');
    expect(result.diagnostics).toEqual([]);
    expect(result.model).toBeDefined();
  });
});
