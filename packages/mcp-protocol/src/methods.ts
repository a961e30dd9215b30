import type { Static, TSchema } from '@sinclair/typebox'
import { complete } from './completion.ts'
import type { McpContext } from './context.ts'
import { ErrorCode, McpError } from './errors.ts'
import { paginate } from './pagination.ts'
import type { Prompts } from './prompts.ts'
import type { Visible } from './registry.ts'
import type { Resources } from './resources.ts'
import { listenClosed, type CacheHint } from './revisions.ts'
import { clientRequestParams, EXTENSIONS, serverResults, type Implementation, type ServerCapabilities } from './schema/index.ts'
import { tagged, type Subscriptions } from './subscriptions.ts'
import { declaresTasks, missingExtension, type Tasks } from './tasks.ts'
import type { Tools } from './tools.ts'
import { compile, type Validator } from './validation.ts'
import { ENVELOPE_VERSIONS, negotiateVersion, type VersionFeatures } from './versions.ts'

type MethodHandler = (params: never, ctx: McpContext) => object | Promise<object>

/** One JSON-RPC method the server answers: how its params are checked, what answers it, in which era. */
export interface Method {
  params: Validator
  handler: MethodHandler
  /** Checks results that come from user code; what the engine builds itself is trusted. */
  result: Validator | undefined
  /** The era it exists in; both when unset (2026-07-28 removed some methods and added others). */
  era?: VersionFeatures['era']
  /**
   * 2026-07-28 answers a method behind a capability the server does not advertise with -32601
   * ("capabilities must be honest"); this says whether it is advertised.
   */
  advertised?: (capabilities: ServerCapabilities) => boolean
  /** May answer `input_required` (2026-07-28 Multi Round-Trip Requests). */
  input?: boolean
  /** The caching hint of the item a result is about (a resource's own). */
  cacheHint?: (params: never) => CacheHint | undefined
  /** Subject to the server's handler time limit (all but listen streams, which stay open by design). */
  bounded?: boolean
}

/** What each kind of item a client may see, for the request at hand (filters). */
export interface Visibility {
  tool: Visible
  prompt: Visible
  resource: Visible
  template: Visible
}

/** What the methods work on: the server's registries and settings. */
export interface MethodDependencies {
  tools: Tools
  resources: Resources
  prompts: Prompts
  subscriptions: Subscriptions
  tasks: Tasks
  pageSize: number
  info: Implementation
  instructions: string | undefined
  capabilities: () => ServerCapabilities
  visibility: (ctx: McpContext) => Visibility | undefined
}

/** Resource URIs one listen stream may follow. */
const MAX_LISTEN_URIS = 100

const resultValidators = new Map<string, Validator>(Object.entries(serverResults).map(([method, schema]) => [method, compile(schema)]))

type Options = Omit<Method, 'params' | 'handler' | 'result'> & { userResults?: boolean }

/** Every method of both eras. */
export function defineMethods (deps: MethodDependencies): Map<string, Method> {
  const methods = new Map<string, Method>()
  const { tools, resources, prompts, subscriptions, pageSize: size, visibility } = deps
  const p = clientRequestParams

  function define<S extends TSchema> (
    name: keyof typeof clientRequestParams, schema: S, handler: (params: Static<S>, ctx: McpContext) => object | Promise<object>,
    { userResults = false, ...options }: Options = {}
  ): void {
    const result = userResults ? resultValidators.get(name) : undefined
    methods.set(name, { params: compile(schema), handler: handler as MethodHandler, result, ...options })
  }
  const has = (capability: keyof ServerCapabilities) => (capabilities: ServerCapabilities) => capabilities[capability] !== undefined

  // 2025 only: the handshake and the session's state.
  define('initialize', p.initialize, (params) => ({
    protocolVersion: negotiateVersion(params.protocolVersion),
    capabilities: deps.capabilities(),
    serverInfo: deps.info,
    ...(deps.instructions === undefined ? {} : { instructions: deps.instructions })
  }), { era: 'legacy' })
  define('ping', p.ping, () => ({}), { era: 'legacy' })
  define('logging/setLevel', p['logging/setLevel'], async (params, ctx) => {
    await ctx.session.setLogLevel(params.level)
    return {}
  }, { era: 'legacy' })
  define('resources/subscribe', p['resources/subscribe'], async (params, ctx) => {
    // Only what is served here: a session's subscriptions are bounded by what the server has.
    if (!resources.serves(params.uri)) throw new McpError(ErrorCode.ResourceNotFound, 'Resource not found', { uri: params.uri })
    await ctx.session.subscribe(params.uri)
    return {}
  }, { era: 'legacy' })
  define('resources/unsubscribe', p['resources/unsubscribe'], async (params, ctx) => {
    await ctx.session.unsubscribe(params.uri)
    return {}
  }, { era: 'legacy' })

  // 2026-07-28 only: discovery instead of the handshake, one stream per subscription.
  define('server/discover', p['server/discover'], () => ({
    supportedVersions: [...ENVELOPE_VERSIONS],
    capabilities: deps.capabilities(),
    ...(deps.instructions === undefined ? {} : { instructions: deps.instructions })
  }), { era: 'modern' })
  define('subscriptions/listen', p['subscriptions/listen'], async (params, ctx) => {
    if (subscriptions.full) throw new McpError(ErrorCode.InternalError, 'Subscription limit reached')
    // Task status notifications are the tasks extension's: asked for without it, -32021 (none are sent: clients poll).
    if ((params.notifications as { taskIds?: unknown }).taskIds !== undefined && !declaresTasks(ctx.session)) throw missingExtension()
    const honoured = subscriptions.honour(params.notifications, deps.capabilities(), (uri) => resources.serves(uri), MAX_LISTEN_URIS)
    // The acknowledgement comes first, with what is honoured; nothing honoured: the stream ends.
    await ctx.notify('notifications/subscriptions/acknowledged', tagged({ notifications: honoured }, ctx))
    return Object.keys(honoured).length > 0 ? subscriptions.hold(ctx, honoured) : listenClosed(ctx.requestId)
  }, {
    era: 'modern',
    bounded: false,
    advertised: (capabilities) => capabilities.tools !== undefined || capabilities.prompts !== undefined || capabilities.resources !== undefined
  })

  // Tasks: the tasks extension (2026-07-28), only while some tool supports tasks (else -32601),
  // and only for requests that declare it (else -32021), where `tasks/result` and `tasks/list` do
  // not exist; and the experimental tasks of 2025-11-25 (get, result, cancel; no update, no list).
  // Which revision has which is the engine's (`versions.ts`: `tasks`).
  const tasksAdvertised = (capabilities: ServerCapabilities): boolean => capabilities.extensions?.[EXTENSIONS.tasks] !== undefined
  define('tasks/get', p['tasks/get'], (params, ctx) => deps.tasks.get(params, ctx), { advertised: tasksAdvertised })
  define('tasks/update', p['tasks/update'], (params, ctx) => deps.tasks.update(params, ctx), { advertised: tasksAdvertised })
  define('tasks/cancel', p['tasks/cancel'], (params, ctx) => deps.tasks.cancel(params, ctx), { advertised: tasksAdvertised })
  define('tasks/result', p['tasks/result'], (params, ctx) => deps.tasks.result(params, ctx), { advertised: tasksAdvertised })

  // Both eras.
  define('tools/list', p['tools/list'], (params, ctx) => {
    const { items, nextCursor } = paginate(tools.list(visibility(ctx)?.tool), params?.cursor, size)
    return nextCursor === undefined ? { tools: items } : { tools: items, nextCursor }
  }, { advertised: has('tools') })
  define('tools/call', p['tools/call'], (params, ctx) => tools.call(params, ctx, visibility(ctx)?.tool),
    { userResults: true, input: true, advertised: has('tools') })
  define('resources/list', p['resources/list'], async (params, ctx) => {
    const { items, nextCursor } = paginate(await resources.list(ctx, visibility(ctx)), params?.cursor, size)
    return nextCursor === undefined ? { resources: items } : { resources: items, nextCursor }
  }, { userResults: true, advertised: has('resources') })
  define('resources/templates/list', p['resources/templates/list'], (params, ctx) => {
    const { items, nextCursor } = paginate(resources.listTemplates(visibility(ctx)), params?.cursor, size)
    return nextCursor === undefined ? { resourceTemplates: items } : { resourceTemplates: items, nextCursor }
  }, { advertised: has('resources') })
  define('resources/read', p['resources/read'], (params, ctx) => resources.read(params.uri, ctx, visibility(ctx)), {
    userResults: true,
    input: true,
    advertised: has('resources'),
    cacheHint: (params: { uri: string }) => resources.cacheOf(params.uri)
  })
  define('prompts/list', p['prompts/list'], (params, ctx) => {
    const { items, nextCursor } = paginate(prompts.list(visibility(ctx)?.prompt), params?.cursor, size)
    return nextCursor === undefined ? { prompts: items } : { prompts: items, nextCursor }
  }, { advertised: has('prompts') })
  define('prompts/get', p['prompts/get'], (params, ctx) => prompts.get(params, ctx, visibility(ctx)?.prompt),
    { userResults: true, input: true, advertised: has('prompts') })
  define('completion/complete', p['completion/complete'], (params, ctx) => {
    const { ref, argument } = params
    const visible = visibility(ctx)
    const completer = ref.type === 'ref/prompt'
      ? prompts.completer(ref.name, argument.name, visible?.prompt)
      : resources.completer(ref.uri, argument.name, visible)
    return complete(completer, argument.value, params.context?.arguments ?? {}, ctx)
  }, { userResults: true, advertised: has('completions') })
  return methods
}
