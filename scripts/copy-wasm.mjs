// Copies the committed wasm binaries of src/ (the SIMD kernels) next to their compiled modules
// in dist/, where `new URL('./simd/kernels.wasm', import.meta.url)` finds them (part of `npm run build`).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
function* wasmFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* wasmFiles(p);
    else if (e.name.endsWith('.wasm')) yield p;
  }
}
for (const src of wasmFiles(join(root, 'src'))) {
  const dest = join(root, 'dist', relative(join(root, 'src'), src));
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(src, dest);
}
