/**
 * The sluice and NDDR arms of the experiments: specs/multi-mnist.yaml with each junction of the
 * kind, written in the spec language (so the arms go through the same checker and compiler as a
 * user's spec). Sluice: two subspaces per junction (10, 20 and 50 channels split evenly) and
 * the kind's default orthogonality weight; NDDR: the kind's defaults (1×1 fusion with batch
 * norm). Every arm keeps the junctions' places and the (0.9, 0.1) start.
 */
import { parseDocument } from 'yaml';

export function specWithJunctionKind(text: string, kind: 'sluice' | 'nddr'): string {
  const doc = parseDocument(text);
  const junctions = doc.get('crossStitch') as { items: { get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): void }[] } | undefined;
  if (!junctions?.items?.length) throw new Error('the spec has no crossStitch junctions to change');
  for (const j of junctions.items) {
    j.set('kind', kind);
    j.delete('mode');
    if (kind === 'sluice') j.set('subspaces', 2);
  }
  return doc.toString();
}
