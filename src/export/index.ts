/** Export to ONNX / transformers.js and import of ONNX GPT-2 weights. */
export { buildExportModel, exportedInitializerName, type ExportGraphOptions } from './onnx-gpt2.ts';
export { exportModel, exportOnnxFolder, type ExportOptions, type ExportResult } from './export-model.ts';
export { importGpt2Weights, type ImportedWeights, type ImportHow } from './import-onnx.ts';
export { importOnnxCheckpoint, type ImportOnnxOptions, type ImportOnnxResult } from './import-checkpoint.ts';
export { readOnnxModel, decodeOnnxModel, allGraphs, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-read.ts';
