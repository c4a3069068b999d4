export { type RunningWorker, type StartWorkerOptions, startWorker } from './start-worker.js';
