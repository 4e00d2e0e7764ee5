/**
 * The programmatic API of mtlc (docs/api.md): what the CLI and the Vite plugin call.
 * text -> spec document -> checked model (IR) -> emitted files.
 */
export type { Diagnostic, Severity, SourceRange } from './spec/diagnostic.js';
export type { SpecDocument } from './spec/document.js';
export type { CheckedModel, Tower, LayerNode, Junction } from './model/ir.js';
export { defineLayerKind, LayerRegistry } from './layers/kind.js';
export type { LayerKind, LayerConfig, LayerIssue, LayerLowerings, Shape, ShapeResult, JsonSchema } from './layers/kind.js';
export { defineJunctionKind, builtinJunctionKinds, junctionOptions, crossStitch, sluice, nddr } from './junctions/index.js';
export type { JunctionKind, JunctionConfig, JunctionInput, JunctionIssue, JunctionResult, JunctionLowerings, JunctionOptions } from './junctions/index.js';
export type { CrossStitchOptions, SluiceOptions, NddrOptions } from './junctions/index.js';
export type { TfjsEmitContext, TfjsLayerLowering, TfjsJunctionLowering, RuntimeClass } from './targets/tfjs/index.js';
export { builtinLayerKinds, createLayerRegistry, ACTIVATIONS, LOSSES, METRICS } from './layers/index.js';
export { checkModel, scheduleJunctions, TRAINING_DEFAULTS } from './model/index.js';
export type { CheckResult } from './model/index.js';
export { applyVariant, parseVariant, variantChoices, variantText, modelParams, VariantError, VARIANT_FORMS } from './model/variant.js';
export type { Variant } from './model/variant.js';
export { validateSpec, validateSpecFile, validateDocument, defaultRegistry } from './api/validate.js';
export type { ValidateResult, Kinds } from './api/validate.js';
export type { LayerKindsOption } from './api/registry.js';
export { loadSpecText, loadSpecFile, loadSpecText as loadSpec } from './spec/load.js';
export type { LoadResult } from './spec/load.js';
export { hasErrors } from './spec/diagnostic.js';
export { formatPretty, formatJson, formatGithub } from './cli/format/index.js';
export type { FileReport } from './cli/format/index.js';
export { defineConfig, loadProjectConfig, loadConfigFile, findConfigFile, configRegistry, ConfigError, CONFIG_FILES } from './config/index.js';
export type { MtlcConfig, LoadedConfig, ConfigOptions } from './config/index.js';
export { buildSpecSchema } from './spec/schema.js';
export type { MtlSpec } from './spec/spec-types.generated.js';
export { compileSpec, compileModel, relativeImport } from './api/compile.js';
export type { CompileOptions, CompileResult, GeneratedFile } from './api/compile.js';
export { writeCompiled } from './api/write.js';
export type { WriteOptions, WriteResult } from './api/write.js';
