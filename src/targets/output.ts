/**
 * What every code-generation target returns: the files it generates, or the located problems
 * that keep the model from compiling to it (a layer or junction kind without a lowering for it).
 */

export interface GeneratedFile {
  /** Relative to the output directory, posix slashes: `<folder>/model.ts`. */
  readonly path: string;
  readonly content: string;
}

export interface TargetProblem {
  /** JSON pointer of the spec node the problem is about (a layer, a junction). */
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface TargetOutput {
  /** Empty when there are problems. */
  files: GeneratedFile[];
  problems: TargetProblem[];
}
