/**
 * Counts work in progress (turns that outlive their HTTP request, outbound sends) so a shutdown can
 * wait for it to finish instead of cutting a customer's turn in half.
 */
export class InFlightWork {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Runs `work`, counting it as in flight until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  get size(): number {
    return this.count;
  }

  /** Resolves `true` once nothing is in flight, or `false` if `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
