/**
 * A scan worker thread: `{ path }` messages in, one FileOutcome per file out; `{ finish: true }`
 * returns the worker's call groups as one JSON text (one copy, not a structured clone per row).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { UsageQuery } from '../../../model.js';
import { FileScanner } from './file-scanner.js';

const { query, reference } = workerData as { query: UsageQuery; reference: boolean };
const scanner = new FileScanner(query, reference);
const port = parentPort;
if (port === null) throw new Error('scan worker started outside a worker thread');
port.on('message', (message: { path?: string; finish?: boolean }) => {
  if (message.finish === true) {
    port.postMessage({ calls: JSON.stringify(scanner.rows()) });
  } else if (message.path !== undefined) {
    port.postMessage({ outcome: scanner.scanFile(message.path) });
  }
});
