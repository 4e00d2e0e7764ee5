/** Placeholder created by the backend room; the wasm-kernels room fills it (issue 3 item 3). */
export function registerWasmTrainingKernels(): void {}
