import { nextStep } from '../src/index.js';
import { type CellOptions, runCell } from './noise-bench.js';

/** What noise.ts sends a worker process: one cell to run, or stop when there is no more. */
export type CellRequest = { kind: 'cell'; index: number; options: CellOptions } | { kind: 'stop' };

process.on('message', (request: CellRequest) => {
  if (request.kind === 'stop') {
    process.disconnect();
    return;
  }
  process.send?.({ index: request.index, cell: runCell(nextStep, request.index, request.options) });
});
