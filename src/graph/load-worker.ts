/**
 * A worker thread of parallel-load.ts: reads its share of the recipes as the
 * main thread does (loadOne), posts the results, then counts itself done.
 * Every failure is caught and posted: the main thread, blocked while it
 * waits, could not see an error event.
 */
import { workerData } from 'node:worker_threads';
import { loadOne } from './cache';
import type { WorkerInput, WorkerOutput } from './parallel-load';

const input = workerData as WorkerInput;
let output: WorkerOutput;
try {
  output = { loaded: input.files.map((file, i) => loadOne(input.workspaceRoot, file, input.cached[i], input.platform, input.now)) };
} catch (e) {
  output = { error: e instanceof Error ? e.message : String(e) };
}
try {
  input.port.postMessage(output);
} finally {
  const counter = new Int32Array(input.done);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}
