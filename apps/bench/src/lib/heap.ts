/** Heap readings for the memory workers, which run under `node --expose-gc`. */

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * `heapUsed` after garbage collection: four collections, with an I/O turn between them so
 * pending microtasks and finalizers settle. Throws unless Node runs with `--expose-gc`.
 */
export async function heapAfterGc(): Promise<number> {
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}
