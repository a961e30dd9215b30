import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { MessageBus } from './bus.ts'
import { FST_MCP_SESSION_INVALID_OPTIONS } from './errors.ts'
import type { EventLog } from './event-log.ts'
import { isRedisClient, type RedisOption } from './redis-connection.ts'
import type { SessionStore } from './store.ts'

export const McpSessionSettingsSchema = Type.Object({
  /** A session unused this long (no request, no open stream) ends. */
  ttlMs: Type.Integer({ minimum: 1000, default: 30 * 60_000 }),
  /** Live sessions at most; `initialize` past it gets 503. */
  maxSessions: Type.Integer({ minimum: 1, default: 100_000 }),
  /** Live sessions one principal (as an auth plugin sets it) may hold; past it, 429. Unlimited by default. */
  maxSessionsPerPrincipal: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Open streams (SSE answers in progress, followed streams and the GET stream) per session on a node; past it, 429. */
  maxStreamsPerSession: Type.Integer({ minimum: 1, default: 100 }),
  /** Resources one session may be subscribed to; `resources/subscribe` past it is refused (-32602). */
  maxSubscriptionsPerSession: Type.Integer({ minimum: 1, default: 100 }),
  /** Events kept per session for `Last-Event-ID` replay. */
  maxEventsPerSession: Type.Integer({ minimum: 1, default: 1000 }),
  /** Bytes of events (their JSON) the memory event log keeps per session. */
  maxEventBytesPerSession: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /** Bytes of events (their JSON) the memory event log keeps for all sessions together. */
  maxEventBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
  /** How long events are kept for replay (Redis event log; the memory log keeps them as long as the session). */
  maxEventAgeMs: Type.Integer({ minimum: 1000, default: 10 * 60_000 }),
  /**
   * A request naming a session this server does not know: `reject` answers 404 (the spec's
   * way; the client initializes again), `recover` makes a new session under that id.
   */
  unknownSessions: Type.Union([Type.Literal('reject'), Type.Literal('recover')], { default: 'reject' }),
  /** The `retry` hint (ms) sent when the server ends a connection it expects the client to resume. */
  retryMs: Type.Integer({ minimum: 0, default: 1000 }),
  /** Prefix of every Redis key and channel, so several endpoints (or apps) can share a Redis. No braces: hash tags are ours. */
  keyPrefix: Type.String({ pattern: '^[^{}]*$', default: 'mcp:' }),
  /** How long to wait at boot for Redis to answer. */
  redisConnectTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  /** How often idle sessions are looked for; by default a tenth of `ttlMs`, at most a minute. */
  reapIntervalMs: Type.Optional(Type.Integer({ minimum: 100 }))
}, { additionalProperties: false })

export type McpSessionSettings = Static<typeof McpSessionSettingsSchema>

export interface McpSessionOptions extends Partial<McpSessionSettings> {
  /** Where session records live (default: this process's memory). */
  store?: SessionStore
  /** Where stream events are kept for replay (default: this process's memory). */
  eventLog?: EventLog
  /** How nodes reach each other (default: within this process). */
  bus?: MessageBus
  /**
   * Redis: the store, event log and bus then live there, so several nodes serve the same
   * sessions. A URL (a single Redis), `{ cluster: [nodes], options? }` (a Redis Cluster), or an
   * ioredis client or Cluster, which is duplicated (the connections are ours).
   */
  redis?: RedisOption
}

/** The fields beside the schema, and the methods each must have. */
const SERVICES = {
  store: ['create', 'get', 'touch', 'update', 'delete', 'count', 'ping', 'close'],
  eventLog: ['append', 'replay', 'drop', 'close'],
  bus: ['publish', 'subscribe', 'close']
} as const

/**
 * Defaults applied and checked once, at register time. A bad option throws
 * `FST_MCP_SESSION_INVALID_OPTIONS`, naming every problem and what each option accepts.
 */
export function resolveSettings (options: Partial<McpSessionSettings>): McpSessionSettings {
  const settings = Value.Default(McpSessionSettingsSchema, structuredClone(options)) as McpSessionSettings
  const problems = new Map<string, string>()
  for (const error of Value.Errors(McpSessionSettingsSchema, settings)) {
    const name = error.path.slice(1)
    if (problems.has(name)) continue
    const schema: TSchema | undefined = McpSessionSettingsSchema.properties[name as keyof McpSessionSettings]
    problems.set(name, schema === undefined
      ? `${name}: not an option (the options are ${[...Object.keys(McpSessionSettingsSchema.properties), ...Object.keys(SERVICES), 'redis'].join(', ')})`
      : `${name}: expected ${expected(schema)}, got ${shown(error.value)}`)
  }
  if (problems.size > 0) throw new FST_MCP_SESSION_INVALID_OPTIONS([...problems.values()].join('; '))
  return settings
}

/** Checks the fields beside the schema (stores, clients); every problem, in one error. */
export function checkServices (options: Pick<McpSessionOptions, 'store' | 'eventLog' | 'bus' | 'redis'>): void {
  const problems: string[] = []
  for (const [field, methods] of Object.entries(SERVICES)) {
    const value: unknown = options[field as keyof typeof SERVICES]
    if (value === undefined) continue
    const missing = methods.filter((method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function')
    if (missing.length > 0) problems.push(`${field}: expected an object with ${methods.map((method) => `${method}()`).join(', ')}; missing ${missing.join(', ')}`)
  }
  const { redis } = options
  if (redis !== undefined && !validRedis(redis)) {
    problems.push(`redis: expected a redis:// or rediss:// URL (or a Unix socket path), an ioredis client or Cluster, or { cluster: [nodes], options? } with at least one node (a URL, a port, or { host, port }), got ${shown(redis)}`)
  }
  if (problems.length > 0) throw new FST_MCP_SESSION_INVALID_OPTIONS(problems.join('; '))
}

function validRedis (redis: unknown): boolean {
  if (typeof redis === 'string') return /^(rediss?:\/\/|\/)/.test(redis)
  if (isRedisClient(redis)) return true
  if (typeof redis !== 'object' || redis === null) return false
  const { cluster, options } = redis as { cluster?: unknown, options?: unknown }
  return Array.isArray(cluster) && cluster.length > 0 &&
    cluster.every((node) => typeof node === 'string' || typeof node === 'number' || (typeof node === 'object' && node !== null)) &&
    (options === undefined || (typeof options === 'object' && options !== null))
}

/** What an option's schema accepts, in words. */
function expected (schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return `one of ${(schema.anyOf as TSchema[]).map((option) => JSON.stringify(option.const)).join(', ')}`
  if (schema.type === 'integer') return `an integer${typeof schema.minimum === 'number' ? ` >= ${schema.minimum}` : ''}`
  if (schema.type === 'string' && schema.pattern === '^[^{}]*$') return 'a string without "{" or "}"'
  return `a ${String(schema.type)}`
}

function shown (value: unknown): string {
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object'
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}
