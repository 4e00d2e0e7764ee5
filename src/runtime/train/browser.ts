/**
 * `mtlc/runtime/train` in a browser bundle (the package's `exports` pick this file for every
 * condition but `node`). Training reads and writes files, spawns worker threads and draws
 * progress on a terminal, so it runs in Node; here the names a generated `train.ts` imports exist
 * and say so when called. A web app that imports a generated `index.ts` (model and train) thus
 * builds and predicts; only calling `train<Name>()` fails, with this message.
 */
const NODE_ONLY =
  'mtlc: training runs in Node (`npx mtlc train spec.yaml`, or the generated train.ts under Node); in the browser, build the model with build<Name>() and predict';

export async function trainModel(..._args: unknown[]): Promise<never> {
  throw new Error(NODE_ONLY);
}

export async function runTrainingCli(..._args: unknown[]): Promise<never> {
  throw new Error(NODE_ONLY);
}

/** A browser page is never Node's entry script: nothing to run. */
export async function runTrainingCliIfMain(..._args: unknown[]): Promise<void> {}
