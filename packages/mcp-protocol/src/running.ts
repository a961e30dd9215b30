import type { McpContext } from './context.ts'
import { LinkedList, type Link } from './linked-list.ts'
import type { RequestId } from './schema/index.ts'
import type { ClientSession } from './session.ts'

/** One request being answered. */
export interface Running {
  readonly ctx: McpContext
  /** When it started, if it has a time limit. */
  readonly startedAt: number | undefined
}

interface Entry extends Running {
  inAll: Link<Running> | undefined
  inSession: Link<McpContext> | undefined
}

/**
 * The requests an engine is answering: counted for a drain, held to their time limit, cancelled
 * by their session's id and request id. Linked lists, not Maps, for they fill and empty with
 * every request (see `LinkedList`). A session's requests are found through the session itself
 * (a WeakMap entry made once per session), so a cancellation reads only the requests of the
 * client that sent it.
 */
export class RunningRequests implements Iterable<Running> {
  readonly #all = new LinkedList<Running>()
  readonly #ofSession = new WeakMap<ClientSession, LinkedList<McpContext>>()

  get size (): number {
    return this.#all.size
  }

  add (ctx: McpContext, startedAt: number | undefined): Running {
    const entry: Entry = { ctx, startedAt, inAll: undefined, inSession: undefined }
    entry.inAll = this.#all.add(entry)
    const { session } = ctx
    if (session.id !== undefined) {
      let requests = this.#ofSession.get(session)
      if (requests === undefined) this.#ofSession.set(session, requests = new LinkedList())
      entry.inSession = requests.add(ctx)
    }
    return entry
  }

  delete (running: Running): void {
    const { inAll, inSession, ctx } = running as Entry
    this.#all.delete(inAll!)
    if (inSession !== undefined) this.#ofSession.get(ctx.session)!.delete(inSession)
  }

  /** The request `requestId` of `session` (ids are compared as JSON-RPC does: 1 is not "1"). */
  find (session: ClientSession, requestId: RequestId): McpContext | undefined {
    return this.#ofSession.get(session)?.find((ctx) => ctx.requestId === requestId)?.value
  }

  /** Every request, newest first (see `LinkedList` for a walk that deletes). */
  [Symbol.iterator] (): Iterator<Running> {
    return this.#all[Symbol.iterator]()
  }
}
