// Importing pretrained TF.js Layers models (Keras via tensorflowjs_converter) whose outputs are the exits.
export { importLayersModel, ImportedModel } from './model';
export { parseImportSidecar, type ImportSidecar } from './sidecar';
export { readLayersArtifacts } from './artifacts';
export { nodeFlops, planGraph } from './graph';
export { ImportError } from './errors';
