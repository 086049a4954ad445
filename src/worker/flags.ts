/**
 * Node flags of worker processes (`npm start` forks them; the bulk bench spawns them the same way). Signing allocates
 * many short-lived objects (JSON-LD expansion): a larger young generation cuts garbage-collection time in the worker
 * by about a tenth (bench/bulk.ts with BENCH_NODE_FLAGS).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=64'];
