// Runs one-off work when the main thread is idle (requestIdleCallback; a timeout where
// it is missing, e.g. Safari), one job per idle period so no job adds to another's task.

type Job = () => void;

const queue: Job[] = [];
const queued = new Set<string>();
let scheduled = false;

function schedule(): void {
  if (scheduled || queue.length === 0) return;
  scheduled = true;
  const run = () => {
    scheduled = false;
    const job = queue.shift();
    try {
      job?.();
    } finally {
      schedule();
    }
  };
  const w = globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number };
  if (typeof w.requestIdleCallback === 'function') w.requestIdleCallback(run, { timeout: 2000 });
  else setTimeout(run, 50);
}

/** Queues `job` once per `key` (later calls with the same key are ignored). */
export function whenIdle(key: string, job: Job): void {
  if (queued.has(key)) return;
  queued.add(key);
  queue.push(job);
  schedule();
}
