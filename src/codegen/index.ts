/** Codegen: checked model (IR) -> generated files. Pure: no file system. */
export { emitModel, modelFolder, headerLines, GENERATED_MARKER } from './emit.js';
export type { GeneratedFile, EmitOptions } from './emit.js';
export { literal, stringLiteral, propertyKey, commentText } from './literal.js';
export { kebabCase, camelCase, pascalCase } from './naming.js';
