export { emitTorch, torchPackageName, torchHeader, PYTHON_GENERATED_MARKER, type TorchEmitResult, type TorchProblem } from './emit.js';
export { TORCH_LOWERINGS, hasTorchLowering } from './lowerings.js';
export { pyLiteral, pyString } from './python.js';
