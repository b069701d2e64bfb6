/** The worker thread of parse-threads.ts: loads its share of the recipes and posts the results back in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadOne } from './load-one';
import type { ThreadJob } from './parse-threads';

const job = workerData as ThreadJob;
parentPort?.postMessage(job.files.map((file) => loadOne(job.root, file, undefined, job.platform, job.now)));
