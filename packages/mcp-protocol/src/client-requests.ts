import { ErrorCode, McpError } from './errors.ts'
import type { JSONRPCResponse } from './schema/index.ts'
import type { Validator } from './validation.ts'

interface Pending {
  sessionId: string | undefined
  method: string
  validator: Validator
  resolve (result: unknown): void
  reject (error: Error): void
  abandon: (id: string, reason: Error) => void
  timer: NodeJS.Timeout
}

/**
 * Requests this server sent to clients (sampling, elicitation, roots) and still awaits. Ids are
 * random, so a response finds its request whichever client sends it; a response only settles a
 * request of the same session, so one client can never answer for another.
 */
export class ClientRequests {
  readonly #pending = new Map<string, Pending>()

  get size (): number {
    return this.#pending.size
  }

  /**
   * Registers a request; the caller sends it with the returned id. `abandon` runs when the server
   * gives up waiting (timeout or `cancel`), to tell the client to stop.
   */
  open (
    sessionId: string | undefined, method: string, validator: Validator, timeoutMs: number,
    abandon: (id: string, reason: Error) => void
  ): { id: string, result: Promise<unknown> } {
    const id = globalThis.crypto.randomUUID()
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cancel(id, new McpError(ErrorCode.RequestTimeout, `The client did not answer ${method} within ${timeoutMs} ms`))
      }, timeoutMs).unref()
      this.#pending.set(id, { sessionId, method, validator, resolve, reject, abandon, timer })
    })
    return { id, result }
  }

  /** Settles the request `response` answers; false when there is none for this session. */
  settle (sessionId: string | undefined, response: JSONRPCResponse): boolean {
    const id = response.id
    if (typeof id !== 'string') return false
    const pending = this.#pending.get(id)
    if (pending === undefined || pending.sessionId !== sessionId) return false
    this.#finish(id, pending)
    if ('error' in response) {
      const { code, message, data } = response.error
      pending.reject(new McpError(code, message, data))
    } else if (pending.validator.check(response.result)) {
      pending.resolve(response.result)
    } else {
      pending.reject(new McpError(ErrorCode.InvalidParams,
        `Invalid result for ${pending.method}: ${pending.validator.explain(response.result)}`))
    }
    return true
  }

  /** Stops waiting for the answer to `id`, and tells the client to stop working on it. */
  cancel (id: string, reason: Error): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#finish(id, pending)
    pending.reject(reason)
    pending.abandon(id, reason)
  }

  /** Rejects everything awaited (a shutdown). */
  cancelAll (reason: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#finish(id, pending)
      pending.reject(reason)
    }
  }

  /** Rejects everything a session awaits, when it ends (there is no one left to tell). */
  cancelSession (sessionId: string, reason: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.sessionId !== sessionId) continue
      this.#finish(id, pending)
      pending.reject(reason)
    }
  }

  #finish (id: string, pending: Pending): void {
    clearTimeout(pending.timer)
    this.#pending.delete(id)
  }
}
