// Importing pretrained models whose outputs are the exits: ONNX (e.g. from PyTorch) and TF.js Layers (from Keras).
export { importModel, importLayersModel, ImportedModel } from './model';
export { parseImportSidecar, type ImportSidecar } from './sidecar';
export { readLayersArtifacts } from './artifacts';
export { nodeFlops, planGraph } from './graph';
export { ImportError } from './errors';
