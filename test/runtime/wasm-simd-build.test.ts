/**
 * The committed SIMD binary (src/runtime/wasm-kernels/simd/kernels.wasm) is what its sources
 * build to: the source hash it records must match kernels.cc (always checked), and where clang
 * with the wasm32 target is installed (CI installs it: .ci/run) a fresh build must be
 * byte-identical. It reaches dist/ (and so the packed tarball) with the build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildWasmKernels, clangVersion, recordedSourceHash, sourceHash, wasmImports, wasmPath, wasmSections } from '../../scripts/build-wasm-kernels.js';

const committed = readFileSync(wasmPath);
const clang = clangVersion();

describe('kernels.wasm', () => {
  it('records the hash of the sources it was built from (rebuild: npm run build:kernels)', () => {
    expect(recordedSourceHash(committed)).toBe(sourceHash());
  });

  it('has no data segment and imports only the memory (it cannot write where tfjs did not ask)', () => {
    expect(wasmSections(committed).some((s) => s.id === 11 || s.id === 12)).toBe(false);
    expect(wasmImports(committed)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it.skipIf(!clang)(`is byte-identical to a fresh build${clang ? ` (${clang})` : ' — SKIPPED: clang with the wasm32 target is not installed (apt-get install -y clang lld)'}`, () => {
    const fresh = buildWasmKernels();
    expect(Buffer.compare(fresh, committed), 'the committed kernels.wasm differs from a fresh build: run npm run build:kernels').toBe(0);
  });

  it('is copied to dist/ by the build, next to the module that loads it', () => {
    const dist = fileURLToPath(new URL('../../dist/runtime/wasm-kernels/simd/kernels.wasm', import.meta.url));
    const built = fileURLToPath(new URL('../../dist/runtime/wasm-kernels/simd.js', import.meta.url));
    expect(existsSync(built), 'dist/ is not built: run npm run build (npm test does)').toBe(true);
    expect(Buffer.compare(readFileSync(dist), committed)).toBe(0);
  });
});
