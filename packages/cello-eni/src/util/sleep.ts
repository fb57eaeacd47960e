/** Sleep that a stop signal cuts short (rejecting with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(stopped(signal));
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

function stopped(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new StoppedError('stopped');
}
