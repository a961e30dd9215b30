import type { McpContext } from './context.ts'
import { listenClosed } from './revisions.ts'
import { inSlices } from './slices.ts'
import { META, type JSONRPCNotification, type ServerCapabilities, type SubscriptionFilter } from './schema/index.ts'

/** Which filter member lets a notification through. */
const KIND_OF: Record<string, 'toolsListChanged' | 'promptsListChanged' | 'resourcesListChanged' | undefined> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged'
}

interface Listening {
  ctx: McpContext
  filter: SubscriptionFilter
  uris: ReadonlySet<string>
  /** The final result, once the server ends the stream; a rejection once the client does. */
  resolve: (final: Record<string, unknown>) => void
  reject: (reason: Error) => void
}

/** The resources a stream that asked for none listens to (one set for all). */
const NO_URIS: ReadonlySet<string> = new Set()

/**
 * What the listen handler returns for a stream it holds open: the engine answers the request
 * once `ended` settles (the final result; a rejection: cancelled), so that neither the handler
 * nor the engine waits in a suspended frame for as long as the stream lasts (hours, and tens of
 * thousands of streams).
 */
export class HeldStream {
  readonly ended: Promise<Record<string, unknown>>

  constructor (ended: Promise<Record<string, unknown>>) {
    this.ended = ended
  }
}

/**
 * The `subscriptions/listen` streams (2026-07-28) this server holds: each is a request that
 * stays open, answered only when the server ends it. Notifications outside any request go to
 * the streams that asked for their kind, tagged with the stream's subscription id.
 */
export class Subscriptions {
  readonly #open = new Set<Listening>()
  readonly #max: number

  constructor (max: number) {
    this.#max = max
  }

  get size (): number {
    return this.#open.size
  }

  get full (): boolean {
    return this.#open.size >= this.#max
  }

  /**
   * The part of `asked` this server honours (unsupported kinds left out): list changes of what
   * it has, and updates of resources that `serves` says it serves, `maxUris` at most.
   */
  honour (asked: SubscriptionFilter, capabilities: ServerCapabilities, serves: (uri: string) => boolean, maxUris: number): SubscriptionFilter {
    const honoured: SubscriptionFilter = {}
    if (asked.toolsListChanged === true && capabilities.tools?.listChanged === true) honoured.toolsListChanged = true
    if (asked.promptsListChanged === true && capabilities.prompts?.listChanged === true) honoured.promptsListChanged = true
    if (asked.resourcesListChanged === true && capabilities.resources?.listChanged === true) honoured.resourcesListChanged = true
    if (asked.resourceSubscriptions !== undefined && capabilities.resources?.subscribe === true) {
      const uris = [...new Set(asked.resourceSubscriptions)].filter(serves).slice(0, maxUris)
      if (uris.length > 0) honoured.resourceSubscriptions = uris
    }
    return honoured
  }

  /**
   * Holds the stream of `ctx` open with `filter` until the server ends it (the final result) or
   * the client goes away (a rejection with the cancellation).
   */
  hold (ctx: McpContext, filter: SubscriptionFilter): HeldStream {
    const uris = filter.resourceSubscriptions === undefined ? NO_URIS : new Set(filter.resourceSubscriptions)
    let listening!: Listening
    const ended = new Promise<Record<string, unknown>>((resolve, reject) => { listening = { ctx, filter, uris, resolve, reject } })
    this.#open.add(listening)
    ctx.whenCancelled((reason) => {
      if (this.#open.delete(listening)) listening.reject(reason)
    })
    return new HeldStream(ended)
  }

  /** Sends `notification` on the streams whose filter lets it through (`uri`: a resource update). */
  deliver (notification: JSONRPCNotification, uri?: string): void {
    const kind = KIND_OF[notification.method]
    inSlices(this.#open.values(), (listening) => {
      const wanted = uri === undefined ? kind !== undefined && listening.filter[kind] === true : listening.uris.has(uri)
      if (!wanted) return false
      const { ctx } = listening
      // A stream that cannot be written to any more is ended (its client is gone).
      ctx.notify(notification.method, tagged(notification.params, ctx)).catch(() => { this.#close(listening) })
      return true
    })
  }

  /** Ends every stream with its final result (a shutdown). */
  closeAll (): void {
    for (const listening of [...this.#open]) this.#close(listening)
  }

  #close (listening: Listening): void {
    if (this.#open.delete(listening)) listening.resolve(listenClosed(listening.ctx.requestId))
  }
}

/** `params` with the subscription id of the stream in its `_meta`. */
export function tagged (params: Record<string, unknown> | undefined, ctx: McpContext): Record<string, unknown> {
  const meta = params?._meta as Record<string, unknown> | undefined
  return { ...params, _meta: { ...meta, [META.subscriptionId]: ctx.requestId } }
}
