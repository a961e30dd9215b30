import type { McpContext } from './context.ts'
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
  close: () => void
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
   * Holds the stream of `ctx` open with `filter` until the server ends it (resolves) or the
   * client goes away (rejects with the cancellation).
   */
  hold (ctx: McpContext, filter: SubscriptionFilter): Promise<void> {
    return new Promise((resolve, reject) => {
      const listening: Listening = {
        ctx,
        filter,
        uris: new Set(filter.resourceSubscriptions),
        close: () => {
          this.#open.delete(listening)
          resolve()
        }
      }
      this.#open.add(listening)
      ctx.whenCancelled((reason) => {
        this.#open.delete(listening)
        reject(reason)
      })
    })
  }

  /** Sends `notification` on the streams whose filter lets it through (`uri`: a resource update). */
  deliver (notification: JSONRPCNotification, uri?: string): void {
    const kind = KIND_OF[notification.method]
    inSlices(this.#open.values(), (listening) => {
      const wanted = uri === undefined ? kind !== undefined && listening.filter[kind] === true : listening.uris.has(uri)
      if (!wanted) return false
      const { ctx } = listening
      // A stream that cannot be written to any more is ended (its client is gone).
      ctx.notify(notification.method, tagged(notification.params, ctx)).catch(() => listening.close())
      return true
    })
  }

  /** Ends every stream with its final result (a shutdown). */
  closeAll (): void {
    for (const listening of [...this.#open]) listening.close()
  }
}

/** `params` with the subscription id of the stream in its `_meta`. */
export function tagged (params: Record<string, unknown> | undefined, ctx: McpContext): Record<string, unknown> {
  const meta = params?._meta as Record<string, unknown> | undefined
  return { ...params, _meta: { ...meta, [META.subscriptionId]: ctx.requestId } }
}
