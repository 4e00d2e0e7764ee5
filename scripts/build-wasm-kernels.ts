/**
 * Builds src/runtime/wasm-kernels/simd/kernels.wasm (the SIMD training kernels) from kernels.cc with clang's
 * wasm32 target, SIMD128 and bulk memory, linked by lld to import tfjs-wasm's memory. The built
 * binary is committed, so `npm ci` needs no compiler; test/runtime/wasm-simd-build.test.ts
 * rebuilds it where clang is installed and checks the bytes match. Run:
 *   npx tsx scripts/build-wasm-kernels.ts           # rewrite the committed kernels.wasm
 *   npx tsx scripts/build-wasm-kernels.ts --check   # exit 1 if it differs from a fresh build
 * CLANGXX names the compiler (default clang++; Debian: apt-get install -y clang lld).
 *
 * The build refuses a binary that could touch memory tfjs did not hand it: any use of the stack
 * pointer (checked in clang's assembly output), a data segment, or an import other than the
 * memory. It appends a custom section `mtlc-source-sha256` holding the hash of the sources, so a
 * test can tell, even without clang, that the committed binary was built from these sources.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourcePath = fileURLToPath(new URL('../src/runtime/wasm-kernels/simd/kernels.cc', import.meta.url));
export const wasmPath = fileURLToPath(new URL('../src/runtime/wasm-kernels/simd/kernels.wasm', import.meta.url));
export const SOURCE_HASH_SECTION = 'mtlc-source-sha256';

const FLAGS = [
  '--target=wasm32',
  '-msimd128',
  '-mbulk-memory',
  '-O3',
  '-nostdlib',
  '-fno-exceptions',
  '-fno-rtti',
  '-ffp-contract=off', // no fused multiply-add: SIMD128 has none, and results stay reproducible
  '-Wall',
  '-Wextra',
  '-Werror',
];
const LINK = ['-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-debug'];

export function clangCommand(): string {
  return process.env['CLANGXX'] ?? 'clang++';
}

/** The compiler's version line, or undefined when it is not installed or lacks the wasm32 target. */
export function clangVersion(): string | undefined {
  try {
    const out = execFileSync(clangCommand(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-clang-probe-'));
    try {
      writeFileSync(join(dir, 'p.cc'), 'extern "C" __attribute__((export_name("f"))) int f(int x) { return x + 1; }\n');
      execFileSync(clangCommand(), ['--target=wasm32', '-nostdlib', ...LINK, '-o', join(dir, 'p.wasm'), join(dir, 'p.cc')], { stdio: 'ignore' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return out.split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

export function sourceHash(source: string | Buffer = readFileSync(sourcePath)): string {
  return createHash('sha256').update(source).digest('hex');
}

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function readLeb(buf: Uint8Array, at: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++]!;
    n |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [n >>> 0, at];
    shift += 7;
  }
}

/** The top-level sections of a wasm binary: id, and the name of custom ones with their payload. */
export function wasmSections(buf: Uint8Array): { id: number; name?: string; payload: Uint8Array }[] {
  const out: { id: number; name?: string; payload: Uint8Array }[] = [];
  let at = 8;
  while (at < buf.length) {
    const id = buf[at++]!;
    let size: number;
    [size, at] = readLeb(buf, at);
    const end = at + size;
    if (id === 0) {
      let len: number;
      let p: number;
      [len, p] = readLeb(buf, at);
      const name = new TextDecoder().decode(buf.subarray(p, p + len));
      out.push({ id, name, payload: buf.subarray(p + len, end) });
    } else {
      out.push({ id, payload: buf.subarray(at, end) });
    }
    at = end;
  }
  return out;
}

/** The imports a wasm binary declares (this project's TypeScript lib has no WebAssembly types). */
export function wasmImports(bin: Uint8Array): { module: string; name: string; kind: string }[] {
  const WA = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): { module: string; name: string; kind: string }[] } } }).WebAssembly;
  return WA.Module.imports(new WA.Module(bin));
}

/** The source hash recorded in a built binary, if any. */
export function recordedSourceHash(wasm: Uint8Array): string | undefined {
  const s = wasmSections(wasm).find((x) => x.id === 0 && x.name === SOURCE_HASH_SECTION);
  return s ? new TextDecoder().decode(s.payload) : undefined;
}

/** Compiles the sources; returns the binary (with the source-hash section). Throws on a refusal. */
export function buildWasmKernels(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mtlc-wasm-kernels-'));
  try {
    const asm = join(dir, 'kernels.s');
    execFileSync(clangCommand(), [...FLAGS, '-S', '-o', asm, sourcePath], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (/__stack_pointer/.test(readFileSync(asm, 'utf8'))) {
      throw new Error('kernels.cc uses the stack (a local array the compiler could not keep in registers?): the module must not write memory tfjs did not hand it');
    }
    const out = join(dir, 'kernels.wasm');
    execFileSync(clangCommand(), [...FLAGS, ...LINK, '-o', out, sourcePath], { stdio: ['ignore', 'inherit', 'inherit'] });
    const bin = readFileSync(out);
    const sections = wasmSections(bin);
    if (sections.some((s) => s.id === 11 || s.id === 12)) throw new Error('kernels.wasm has a data segment: it would be written over tfjs memory at instantiation');
    const imports = wasmImports(bin);
    if (imports.length !== 1 || imports[0]!.module !== 'env' || imports[0]!.name !== 'memory' || imports[0]!.kind !== 'memory') {
      throw new Error(`kernels.wasm must import only env.memory, got ${JSON.stringify(imports)}`);
    }
    const name = new TextEncoder().encode(SOURCE_HASH_SECTION);
    const hash = new TextEncoder().encode(sourceHash());
    const body = [...leb128(name.length), ...name, ...hash];
    return Buffer.concat([bin, Buffer.from([0, ...leb128(body.length), ...body])]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const version = clangVersion();
  if (!version) {
    process.stderr.write(`build-wasm-kernels: ${clangCommand()} with the wasm32 target is not installed (Debian: apt-get install -y clang lld)\n`);
    process.exit(3);
  }
  const bin = buildWasmKernels();
  if (process.argv.includes('--check')) {
    const same = Buffer.compare(bin, readFileSync(wasmPath)) === 0;
    process.stdout.write(same ? `kernels.wasm matches its sources (${version})\n` : `kernels.wasm differs from a fresh build with ${version}\n`);
    process.exit(same ? 0 : 1);
  }
  const tmp = `${wasmPath}.tmp-${process.pid}`;
  writeFileSync(tmp, bin);
  renameSync(tmp, wasmPath);
  process.stdout.write(`wrote ${wasmPath} (${bin.length} bytes, ${version})\n`);
}
