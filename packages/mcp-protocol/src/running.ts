import type { McpContext } from './context.ts'
import type { RequestId } from './schema/index.ts'
import type { ClientSession } from './session.ts'

/** One request being answered, linked into the list of all of them and into its session's. */
export interface Running {
  readonly ctx: McpContext
  /** When it started, if it has a time limit. */
  readonly startedAt: number | undefined
  prev: Running | undefined
  next: Running | undefined
  prevOfSession: Running | undefined
  nextOfSession: Running | undefined
}

interface SessionRequests {
  first: Running | undefined
}

/**
 * The requests an engine is answering: counted for a drain, held to their time limit, cancelled
 * by their session's id and request id.
 *
 * Lists linked through the entries, not Maps: a Map that fills and empties with every request
 * reallocates its table as it grows and shrinks, and the table of a long-lived Map lives in the
 * old generation, so each reallocation there is garbage only a full collection frees (measured:
 * about 250 bytes a request, and 10 to 15 % of the CPU time of a JSON answer). A session's
 * requests are found through the session itself (a WeakMap entry made once per session), so a
 * cancellation reads only the requests of the client that sent it.
 */
export class RunningRequests {
  #first: Running | undefined
  #size = 0
  readonly #ofSession = new WeakMap<ClientSession, SessionRequests>()

  get size (): number {
    return this.#size
  }

  add (ctx: McpContext, startedAt: number | undefined): Running {
    const entry: Running = { ctx, startedAt, prev: undefined, next: this.#first, prevOfSession: undefined, nextOfSession: undefined }
    if (this.#first !== undefined) this.#first.prev = entry
    this.#first = entry
    this.#size++
    const { session } = ctx
    if (session.id !== undefined) {
      let requests = this.#ofSession.get(session)
      if (requests === undefined) this.#ofSession.set(session, requests = { first: undefined })
      entry.nextOfSession = requests.first
      if (requests.first !== undefined) requests.first.prevOfSession = entry
      requests.first = entry
    }
    return entry
  }

  delete (entry: Running): void {
    if (entry.prev === undefined) this.#first = entry.next
    else entry.prev.next = entry.next
    if (entry.next !== undefined) entry.next.prev = entry.prev
    this.#size--
    const { session } = entry.ctx
    if (session.id === undefined) return
    if (entry.prevOfSession === undefined) this.#ofSession.get(session)!.first = entry.nextOfSession
    else entry.prevOfSession.nextOfSession = entry.nextOfSession
    if (entry.nextOfSession !== undefined) entry.nextOfSession.prevOfSession = entry.prevOfSession
  }

  /** The request `requestId` of `session` (ids are compared as JSON-RPC does: 1 is not "1"). */
  find (session: ClientSession, requestId: RequestId): McpContext | undefined {
    for (let entry = this.#ofSession.get(session)?.first; entry !== undefined; entry = entry.nextOfSession) {
      if (entry.ctx.requestId === requestId) return entry.ctx
    }
    return undefined
  }

  /** Every entry, newest first; the walk goes on past the entry it is at if that is deleted. */
  * [Symbol.iterator] (): Iterator<Running> {
    for (let entry = this.#first; entry !== undefined;) {
      const next = entry.next
      yield entry
      entry = next
    }
  }
}
