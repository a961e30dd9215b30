import type { McpFilter, McpItemConfig, McpItemKind, McpServer } from '@mcp-fastify/mcp-protocol'
import { advertisable } from './challenge.ts'
import type { McpOAuthSettings } from './options.ts'

const NONE: readonly string[] = Object.freeze([])

/** The requests that use one item, and how to find it: what a token must grant before they are dispatched. */
const ITEM_REQUESTS: Record<string, { kind: 'tool' | 'prompt' | 'resource', param: 'name' | 'uri' }> = {
  'tools/call': { kind: 'tool', param: 'name' },
  'prompts/get': { kind: 'prompt', param: 'name' },
  'resources/read': { kind: 'resource', param: 'uri' },
  'resources/subscribe': { kind: 'resource', param: 'uri' }
}

/** What a JSON-RPC request of the body names, when it is a request that uses an item. */
export interface ItemUse {
  kind: 'tool' | 'prompt' | 'resource'
  name: string
}

export function itemUses (body: unknown): ItemUse[] {
  const uses: ItemUse[] = []
  for (const message of Array.isArray(body) ? body : [body]) {
    if (typeof message !== 'object' || message === null) continue
    const { method, params, id } = message as { method?: unknown, params?: Record<string, unknown>, id?: unknown }
    if (typeof method !== 'string' || id === undefined) continue
    const target = ITEM_REQUESTS[method]
    const name = target === undefined ? undefined : params?.[target.param]
    if (target !== undefined && typeof name === 'string') uses.push({ kind: target.kind, name })
  }
  return uses
}

/**
 * Which scopes what: the endpoint as a whole (`requiredScopes`), and each tool, resource and
 * prompt (`config.scopes`, else `defaultScopes` of its kind). A client sees in lists only what
 * its token lets it use, and a call to anything else is refused with 403 before dispatch.
 */
export class ScopePolicy {
  readonly required: readonly string[]
  readonly #defaults: McpOAuthSettings['defaultScopes']
  /** `scopes_supported` of the protected resource metadata. */
  readonly supported: readonly string[]
  /**
   * The `scope` of 401 challenges: a basic session (the endpoint's scopes and the default scopes
   * of items), not the extra scopes single tools need, so clients ask for no more than they use
   * and step up when a 403 names more (least privilege).
   */
  readonly challenge: readonly string[]

  constructor (settings: McpOAuthSettings) {
    this.required = settings.requiredScopes
    this.#defaults = settings.defaultScopes
    const { tool = [], resource = [], prompt = [] } = settings.defaultScopes
    const basic = [...new Set([...settings.requiredScopes, ...tool, ...resource, ...prompt])]
    this.supported = (settings.scopesSupported ?? basic).filter(advertisable)
    this.challenge = (settings.challengeScopes ?? basic).filter(advertisable)
  }

  needs (kind: McpItemKind, config: McpItemConfig | undefined): readonly string[] {
    return config?.scopes ?? this.#defaults[kind === 'resourceTemplate' ? 'resource' : kind] ?? NONE
  }

  /** The scopes the item requests of `body` need that `granted` lacks. */
  missingFor (server: McpServer, body: unknown, granted: readonly string[]): string[] {
    const missing = new Set<string>()
    for (const { kind, name } of itemUses(body)) {
      for (const scope of this.needs(kind, server.configOf(kind, name))) {
        if (!granted.includes(scope)) missing.add(scope)
      }
    }
    return [...missing]
  }

  /** The endpoint-wide scopes `granted` lacks. */
  missingRequired (granted: readonly string[]): string[] {
    return this.required.filter((scope) => !granted.includes(scope))
  }

  /**
   * The `scope` of a 403: what the token has, plus what the request needs, so that a client which
   * replaces its token does not lose what it had (2025-11-25, authorization: "Runtime Insufficient
   * Scope Errors", the recommended approach).
   */
  challengeScopes (granted: readonly string[], missing: readonly string[]): string[] {
    return [...new Set([...granted, ...this.required, ...missing])]
  }

  /** The filter on what clients see: an item is listed and usable when the token grants what it needs. */
  readonly filter: McpFilter = (item, ctx) => {
    const needed = this.needs(item.kind, item.config)
    if (needed.length === 0) return true
    const granted = ctx.extra.request?.mcpAuth?.scopes
    return granted !== undefined && needed.every((scope) => granted.includes(scope))
  }
}
