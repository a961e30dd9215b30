import { META, type CacheScope, type Implementation } from './schema/index.ts'
import type { ClientSession } from './session.ts'
import { versionFeatures, type HandshakeVersion } from './versions.ts'

/**
 * The one place where a result takes the shape of the revision the client speaks, from the
 * feature table in `versions.ts`: a 2025 client gets only the fields its revision's schema knows
 * (no `structuredContent` for 2025-03-26, no `icons` before 2025-11-25), a 2026-07-28 client
 * gets `resultType`, the server's identity in `_meta`, and caching hints where they belong.
 * Handlers write one result; this makes it fit.
 */

/** How long a client may reuse a result, and whether shared caches may (2026-07-28 caching hints). */
export interface CacheHint {
  ttlMs?: number
  scope?: CacheScope
}

/** Caching hints per kind of cacheable result; a resource or template may have its own for reads. */
export interface CachingOptions {
  discover?: CacheHint
  tools?: CacheHint
  prompts?: CacheHint
  resources?: CacheHint
  resourceTemplates?: CacheHint
  /** `resources/read`, unless the resource or template says otherwise (its `cache`). */
  read?: CacheHint
}

const CACHEABLE: Record<string, keyof CachingOptions> = {
  'server/discover': 'discover',
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
  'resources/read': 'read'
}

/**
 * By default nothing is reused without asking again (`ttlMs: 0`); lists that only depend on what
 * is registered are `public`, what user callbacks produce (resource lists, reads) `private`.
 */
const DEFAULT_SCOPE: Record<keyof CachingOptions, CacheScope> = {
  discover: 'public',
  tools: 'public',
  prompts: 'public',
  resourceTemplates: 'public',
  resources: 'private',
  read: 'private'
}

export interface ShapeContext {
  session: ClientSession
  serverInfo: Implementation
  caching: CachingOptions
  /** The answer may differ per client (filters decide what each one sees): never `public`. */
  personal: boolean
  /** A hint of the item the result is about (a resource's own `cache`). */
  itemHint?: CacheHint | undefined
  /** A retry carrying input responses: its result must not be reused. */
  retried: boolean
}

type Result = Record<string, unknown>

const LISTS = ['tools', 'prompts', 'resources', 'resourceTemplates']

/** `result` of `method`, as the client's revision has it. */
export function shapeResult (method: string, result: Result, shape: ShapeContext): Result {
  // `initialize` is answered before there is a session: the version it negotiated decides.
  const version = method === 'initialize' ? result.protocolVersion as HandshakeVersion : shape.session.protocolVersion
  const features = versionFeatures(version)
  if (method === 'initialize' || method === 'server/discover') result = withExtensionsOf(result, features.extensions, features.tasks === 'experimental')
  // A tool's `execution.taskSupport` is 2025-11-25's (the extension keeps it server-side).
  if (method === 'tools/list' && features.tasks !== 'experimental') result = withoutExecution(result)
  if (features.resultEnvelope) return envelope(method, result, shape)
  const drop: string[] = []
  if (!features.titles) drop.push('title')
  if (!features.icons) drop.push('icons')
  if (!features.structuredContent) drop.push('outputSchema')
  if (drop.length === 0 && features.structuredContent) return result
  const shaped: Result = { ...result }
  if (!features.structuredContent) delete shaped.structuredContent
  for (const list of LISTS) {
    const items = shaped[list]
    if (Array.isArray(items)) shaped[list] = items.map((item: Result) => without(item, drop))
  }
  if (method === 'initialize') {
    const info = shaped.serverInfo as Result
    shaped.serverInfo = without(info, features.icons ? drop : [...drop, 'description', 'websiteUrl'])
  }
  return shaped
}

/** The final result of a `subscriptions/listen` stream the server ends. */
export function listenClosed (subscriptionId: string | number): Result {
  return { _meta: { [META.subscriptionId]: subscriptionId } }
}

const serverMetas = new WeakMap<Implementation, Result>()

/** `{ serverInfo }`, the `_meta` of results that have none of their own: one object per server. */
function serverMetaOf (info: Implementation): Result {
  let meta = serverMetas.get(info)
  if (meta === undefined) {
    meta = Object.freeze({ [META.serverInfo]: info })
    serverMetas.set(info, meta)
  }
  return meta
}

function envelope (method: string, result: Result, shape: ShapeContext): Result {
  const meta = result._meta as Result | undefined
  const shaped: Result = {
    ...result,
    resultType: result.resultType ?? 'complete',
    // Most results have no `_meta` of their own: they share one, built once per server.
    _meta: meta === undefined ? serverMetaOf(shape.serverInfo) : { ...meta, [META.serverInfo]: shape.serverInfo }
  }
  const kind = CACHEABLE[method]
  // Input-required results, and results of retried requests, carry no caching hints.
  if (kind !== undefined && shaped.resultType === 'complete') {
    const configured = shape.caching[kind]
    const personal = shape.personal || shape.retried || shape.session.principal !== undefined
    shaped.ttlMs = shape.retried ? 0 : shape.itemHint?.ttlMs ?? configured?.ttlMs ?? 0
    shaped.cacheScope = personal ? 'private' : shape.itemHint?.scope ?? configured?.scope ?? DEFAULT_SCOPE[kind]
  }
  return shaped
}

/**
 * The capabilities of `result` with only the extensions the revision knows (none: no
 * `extensions`), and 2025-11-25's `tasks` only where `tasks` is that revision's.
 */
function withExtensionsOf (result: Result, known: ReadonlySet<string>, tasks: boolean): Result {
  const capabilities = result.capabilities as { extensions?: Result, tasks?: unknown } | undefined
  if (capabilities === undefined) return result
  const extensions = capabilities.extensions
  const kept = extensions === undefined ? [] : Object.keys(extensions).filter((id) => known.has(id))
  const dropTasks = !tasks && capabilities.tasks !== undefined
  if (kept.length === Object.keys(extensions ?? {}).length && !dropTasks) return result
  const { extensions: _all, tasks: _tasks, ...rest } = capabilities
  const shaped: Result = kept.length === 0 ? rest : { ...rest, extensions: Object.fromEntries(kept.map((id) => [id, extensions![id]])) }
  if (!dropTasks && capabilities.tasks !== undefined) shaped.tasks = capabilities.tasks
  return { ...result, capabilities: shaped }
}

function withoutExecution (result: Result): Result {
  const tools = result.tools as Result[] | undefined
  if (!Array.isArray(tools) || !tools.some((tool) => 'execution' in tool)) return result
  return { ...result, tools: tools.map((tool) => without(tool, ['execution'])) }
}

function without (item: Result, keys: readonly string[]): Result {
  if (!keys.some((key) => key in item)) return item
  const copy = { ...item }
  for (const key of keys) delete copy[key]
  return copy
}
