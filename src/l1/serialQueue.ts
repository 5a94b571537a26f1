/**
 * Runs async jobs one at a time, in submission order. One L1 account must not send two transactions
 * concurrently from one process (both would read the same pending nonce), so every sender shares one.
 */
export type SerialQueue = <T>(job: () => Promise<T>) => Promise<T>;

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job, job);
    // The chain continues whether this job fails or not; the caller still sees its own failure.
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}
