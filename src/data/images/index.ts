export * from './types.ts';
export * from './rng.ts';
export { loadMnist, mnistDataDir, parseIdx } from './mnist.ts';
export { loadFashionMnist, FASHION_SPLIT_VERSION, FASHION_SHUFFLE_SEED } from './fashion.ts';
export * from './streams.ts';
