/** Import of ONNX GPT-2 weights (`ewc-lm import-onnx`). The exporter is src/onnx/export.ts (`ewc-lm export`). */
export { importGpt2Weights, type ImportedWeights, type ImportHow } from './import-onnx.ts';
export { importOnnxCheckpoint, type ImportOnnxOptions, type ImportOnnxResult } from './import-checkpoint.ts';
export { readOnnxModel, decodeOnnxModel, allGraphs, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-read.ts';
