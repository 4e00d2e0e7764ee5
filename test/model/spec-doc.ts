/** Test helper: a SpecDocument from YAML text through the product's loader (src/spec/load.ts). */
import { readFileSync } from 'node:fs';
import { createLayerRegistry } from '../../src/layers/index.js';
import { checkModel } from '../../src/model/check/index.js';
import type { SpecDocument } from '../../src/spec/document.js';
import { loadSpecText } from '../../src/spec/load.js';

export function specDocument(text: string, file = 'spec.yaml'): SpecDocument {
  const { document, diagnostics } = loadSpecText(text, file);
  if (!document) throw new Error(`test spec does not load: ${diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
  return document;
}

export const registry = createLayerRegistry();

export function check(text: string) {
  return checkModel(specDocument(text), registry);
}

export function checkFile(path: string) {
  return checkModel(specDocument(readFileSync(path, 'utf8'), path), registry);
}
