/** The docs cite files a user of a clone has: every repository path README.md and docs/*.md name exists (or is said not to be committed). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('paths the docs cite', () => {
  it.each(docs)('%s names only files that exist', (doc) => {
    const missing: string[] = [];
    for (const line of readFileSync(join(root, doc), 'utf8').split('\n')) {
      // Sample diagnostics (`--> file:line`) name the user's own spec.
      if (/not committed/.test(line) || line.includes('-->')) continue;
      for (const m of line.matchAll(/\b((?:bench|docs|test|src|specs|examples|python|schemas)\/[\w./-]*\w\.(?:json|ts|mts|md|yaml|py|cc|wasm))\b/g)) {
        if (!existsSync(join(root, m[1]!))) missing.push(m[1]!);
      }
    }
    expect(missing).toEqual([]);
  });
});
