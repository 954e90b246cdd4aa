/**
 * The parent talks to a benchmark server child over IPC: the child reports
 * its port once listening, and its heap (after a full GC) when asked.
 */
export function serveBenchChild(listen) {
  listen().then((port) => process.send({ type: 'listening', port }));
  process.on('message', (message) => {
    if (message?.type !== 'heap') return;
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    process.send({ type: 'heap', heapUsed: process.memoryUsage().heapUsed });
  });
}
