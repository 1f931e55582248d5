// A worker thread's entry: parses one manifest text (workerData.text) a document at a time and posts each
// document's objects as it goes, then { done: true }, or { error } for the first document that is not valid.
// One CRD of Tigera's can take 100 ms to parse, longer than the event loop of a worker running jobs should stall.
import { parentPort, workerData } from 'node:worker_threads';
import { Composer, Parser } from 'yaml';
import { manifestOf } from './manifests.ts';

const { text } = workerData as { text: string };
try {
  for (const doc of new Composer().compose(new Parser().parse(text), true, text.length)) {
    const objects = manifestOf(doc);
    if (objects.length) parentPort!.postMessage({ objects });
  }
  parentPort!.postMessage({ done: true });
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message });
}
