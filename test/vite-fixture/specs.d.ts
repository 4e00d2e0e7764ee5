// The exports of this fixture's spec imports, for the repo's type-check (a project of its own
// would use the plugin's `dts: true` declarations instead).
declare module '*/face.mtl.yaml' {
  import type * as tf from '@tensorflow/tfjs';
  import type { BuildOptions } from 'mtlc/runtime';
  export const faceTasks: readonly ['smile', 'age'];
  export function buildFace(options?: BuildOptions): {
    model: tf.LayersModel;
    predict(x: tf.Tensor): { smile: tf.Tensor; age: tf.Tensor };
  };
}
declare module '*/broken.mtl.yaml' {}
declare module '*/face.mtl.yaml?mtlc-part=model' {
  export { buildFace, faceTasks } from '*/face.mtl.yaml';
}
