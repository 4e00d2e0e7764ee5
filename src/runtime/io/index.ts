export { fileSystemHandler, registerFileSystemRouter, ModelFileError, MODEL_JSON, WEIGHTS_BIN } from './file-system.js';
export type { FileSystemHandlerOptions, SaveStep } from './file-system.js';
