/**
 * Callers waiting for some work to be over (requests answered, handlers done), each until a
 * deadline: the owner counts the work and wakes them when none is left.
 */
export class IdleWaiters {
  readonly #waiting: Array<() => void> = []

  /** Resolves to true once woken, or to false after `timeoutMs`. */
  wait (timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs).unref()
      this.#waiting.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  /** The work is over: every waiter is told. */
  wake (): void {
    if (this.#waiting.length > 0) for (const wake of this.#waiting.splice(0)) wake()
  }
}
