import { explainSettings, type McpServer, type McpServerOptions } from '@mcp-fastify/mcp-protocol'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { FST_MCP_TRANSPORT_INVALID_OPTIONS } from './errors.ts'

export const McpTransportSettingsSchema = Type.Object({
  /** The endpoint's path, under the prefix of the context the plugin is registered in. */
  path: Type.String({ pattern: '^/', default: '/mcp' }),
  /**
   * How a POSTed request is answered. `auto`: JSON, unless the handler sends notifications or
   * requests first, which switches the answer to an SSE stream. `json`: always JSON (what a
   * handler sends goes to the session's GET stream). `sse`: always an SSE stream.
   */
  responseMode: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('sse')], { default: 'auto' }),
  /**
   * Require `Accept` to list both `application/json` and `text/event-stream`, as clients MUST.
   * Off by default: a client that accepts one of them gets that one (curl and several SDKs send
   * only one, or none).
   */
  strictAccept: Type.Boolean({ default: false }),
  /** Largest POST body, in bytes; larger gets 413. */
  bodyLimit: Type.Integer({ minimum: 1, default: 4 * 1024 * 1024 }),
  /** Interval of `: keepalive` comments on open SSE streams; 0 turns them off. */
  keepAliveMs: Type.Integer({ minimum: 0, default: 15_000 }),
  /** An SSE connection whose client reads slower than this backlog (bytes) is closed; it can resume. */
  maxBufferedBytes: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
  /**
   * DNS-rebinding protection: the `Host` header must name one of `allowedHosts`. `auto`: on when
   * the server listens on loopback addresses only.
   */
  dnsRebindingProtection: Type.Union([Type.Literal('auto'), Type.Boolean()], { default: 'auto' }),
  /** Host names accepted in `Host` when the protection is on (default: the loopback names). */
  allowedHosts: Type.Optional(Type.Array(Type.String())),
  /**
   * Origins (`https://app.example.com`, or `*`) accepted in `Origin`. By default a request with
   * an `Origin` must be same-origin, or come from a loopback origin when the protection is on.
   */
  allowedOrigins: Type.Optional(Type.Array(Type.String())),
  /** Serve the deprecated HTTP+SSE transport of 2024-11-05 as well, at these paths. */
  legacySse: Type.Union([Type.Literal(false), Type.Object({
    ssePath: Type.String({ pattern: '^/', default: '/sse' }),
    messagesPath: Type.String({ pattern: '^/', default: '/messages' }),
    /** Open HTTP+SSE connections at most on this node; past it, 503. */
    maxConnections: Type.Integer({ minimum: 1, default: 1000 })
  }, { additionalProperties: false })], { default: false }),
  /** Requests of one session being answered at once on this node (JSON answers too); past it, 429. */
  maxRequestsPerSession: Type.Integer({ minimum: 1, default: 100 }),
  /** `serverInfo`, when the plugin creates the server. */
  serverInfo: Type.Object({
    name: Type.String({ default: 'mcp-fastify' }),
    version: Type.String({ default: '0.0.0' }),
    title: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    websiteUrl: Type.Optional(Type.String())
  }, { default: {} }),
  instructions: Type.Optional(Type.String()),
  /** At shutdown, how long requests in flight may take to finish before they are cancelled. */
  drainTimeoutMs: Type.Integer({ minimum: 0, default: 10_000 }),
  pageSize: Type.Integer({ minimum: 1, default: 100 }),
  requestTimeoutMs: Type.Integer({ minimum: 1, default: 60_000 }),
  /** How long a request may run before it is cancelled and answered with an error; 0: no limit. Listen streams are exempt. */
  handlerTimeoutMs: Type.Integer({ minimum: 0, default: 300_000 })
}, { additionalProperties: false })

export type McpTransportSettings = Static<typeof McpTransportSettingsSchema>

type SettingsInput = Omit<Partial<McpTransportSettings>, 'serverInfo' | 'legacySse'> & {
  serverInfo?: Partial<McpTransportSettings['serverInfo']>
  legacySse?: boolean | Partial<Exclude<McpTransportSettings['legacySse'], false>>
}

export interface McpTransportOptions extends SettingsInput {
  /** Serve this server instead of creating one (`serverInfo`, `instructions`... are then ignored). */
  server?: McpServer
  /** Icons of `serverInfo`. */
  icons?: McpServerOptions['icons']
  /**
   * How 2026-07-28 `requestState` is sealed (`keys`, first seals, all open; `ttlMs`). The default
   * key is random per process: give every node of a cluster the same keys.
   */
  requestState?: McpServerOptions['requestState']
  /** Caching hints of 2026-07-28 results, per kind (`ttlMs: 0` by default). */
  caching?: McpServerOptions['caching']
  /**
   * Tasks (the tasks extension, 2026-07-28): `ttlMs`, `pollIntervalMs`, `maxPerPrincipal`,
   * `leaseMs`, `sweepIntervalMs`, and `store` (by default mcp-session's Redis store when it has
   * Redis, else this process's memory).
   */
  tasks?: McpServerOptions['tasks']
}

/** Defaults applied and checked once, at register time. */
export function resolveSettings ({ legacySse, ...options }: SettingsInput): McpTransportSettings {
  const input = { ...structuredClone(options), legacySse: legacySse === true ? {} : legacySse }
  const settings = Value.Default(McpTransportSettingsSchema, input) as McpTransportSettings
  if (!Value.Check(McpTransportSettingsSchema, settings)) {
    throw new FST_MCP_TRANSPORT_INVALID_OPTIONS(explainSettings(McpTransportSettingsSchema, settings))
  }
  return settings
}
