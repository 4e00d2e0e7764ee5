/** The checked model: IR types, `checkModel`, junction scheduling and the defaults it fills in. */
export { checkModel, type CheckResult } from './check/index.js';
export { applyOrder, scheduleJunctions, junctionOrderProblems } from './order.js';
export * from './defaults.js';
export { RESERVED_WORDS, OBJECT_PROTOTYPE_NAMES, CAMEL_CASE, PASCAL_CASE, IDENTIFIER, closest, suggest } from './names.js';
export type { ApplyStep, CheckedModel, Junction, LayerNode, Tower } from './ir.js';
export { applyVariant, parseVariant, variantChoices, variantText, modelParams, VariantError, VARIANT_FORMS, type Variant } from './variant.js';
