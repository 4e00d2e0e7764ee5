/**
 * Test helper: a SpecDocument from YAML text (yaml v2 with a LineCounter), enough to test
 * checkModel on its own. The product's loader (src/spec/load.ts, the spec room's) adds the
 * safety checks; tests here only need data and locate().
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { fromPointer } from '../../src/spec/diagnostic.js';
import type { SpecDocument } from '../../src/spec/document.js';
import { createLayerRegistry } from '../../src/layers/index.js';
import { checkModel } from '../../src/model/check.js';

export function specDocument(text: string, file = 'spec.yaml'): SpecDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`test spec does not parse: ${doc.errors[0]!.message}`);
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const rangeOf = (node: Node) => {
    const [start, , end] = node.range!;
    const a = lineCounter.linePos(start);
    const b = lineCounter.linePos(end);
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  };
  return {
    file,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    data,
    locateKey(pointer) {
      const segments = fromPointer(pointer);
      const last = segments.pop();
      let node = doc.contents as Node | null;
      for (const segment of segments) {
        if (node && isAlias(node)) node = node.resolve(doc) as Node;
        if (node && isMap(node)) node = (node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment)?.value as Node | null) ?? null;
        else if (node && isSeq(node)) node = (node.items[Number(segment)] as Node | null) ?? null;
        else node = null;
      }
      if (node && isAlias(node)) node = node.resolve(doc) as Node;
      if (last !== undefined && node && isMap(node)) {
        const key = node.items.find((p) => isScalar(p.key) && String(p.key.value) === last)?.key;
        if (key && isScalar(key)) return rangeOf(key);
      }
      return this.locate(pointer);
    },
    locate(pointer) {
      let node = doc.contents as Node | null;
      let found = node;
      for (const segment of fromPointer(pointer)) {
        if (node && isAlias(node)) node = node.resolve(doc) as Node;
        let next: Node | null | undefined;
        if (node && isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment);
          next = pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : undefined;
        } else if (node && isSeq(node)) {
          next = node.items[Number(segment)] as Node | undefined;
        }
        if (!next) break;
        node = next;
        found = isAlias(node) ? (node.resolve(doc) as Node) : node;
      }
      return found ? rangeOf(found) : { line: 1, column: 1, endLine: 1, endColumn: 1 };
    },
  };
}

export const registry = createLayerRegistry();

export function check(text: string) {
  return checkModel(specDocument(text), registry);
}

export function checkFile(path: string) {
  return checkModel(specDocument(readFileSync(path, 'utf8'), path), registry);
}
