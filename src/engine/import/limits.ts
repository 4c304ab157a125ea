// Size limits of imported models, checked before a byte is trusted (docs/import.md lists them).

/** model.json (topology + manifest) of a Layers model: a Keras topology is kilobytes, not megabytes. */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;
/** All weights of one imported model together (Layers shards, or ONNX initializers inline and external). */
export const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;
/** An .onnx file (graph + inline weights), decoded in memory at once. */
export const MAX_ONNX_FILE_BYTES = 512 * 1024 * 1024;
/** Elements of one ONNX initializer or constant (64 Mi float32 = 256 MiB). */
export const MAX_INITIALIZER_ELEMENTS = 64 * 1024 * 1024;
/** Nodes of an ONNX graph. */
export const MAX_ONNX_NODES = 100_000;
/** Elements of a constant the loader computes itself (folding float constants, ConstantOfShape). */
export const MAX_FOLDED_ELEMENTS = 16 * 1024 * 1024;
