import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Redis } from 'ioredis'
import type { MessageBus } from './bus.ts'
import { FST_MCP_SESSION_INVALID_OPTIONS } from './errors.ts'
import type { EventLog } from './event-log.ts'
import type { SessionStore } from './store.ts'

export const McpSessionSettingsSchema = Type.Object({
  /** A session unused this long (no request, no open stream) ends. */
  ttlMs: Type.Integer({ minimum: 1000, default: 30 * 60_000 }),
  /** Live sessions at most; `initialize` past it gets 503. */
  maxSessions: Type.Integer({ minimum: 1, default: 100_000 }),
  /** Live sessions one principal (as an auth plugin sets it) may hold; past it, 429. Unlimited by default. */
  maxSessionsPerPrincipal: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Open streams (SSE answers in progress plus the GET stream) per session on a node; past it, 429. */
  maxStreamsPerSession: Type.Integer({ minimum: 1, default: 100 }),
  /** Events kept per session for `Last-Event-ID` replay. */
  maxEventsPerSession: Type.Integer({ minimum: 1, default: 1000 }),
  /** How long events are kept for replay (Redis event log; the memory log keeps them as long as the session). */
  maxEventAgeMs: Type.Integer({ minimum: 1000, default: 10 * 60_000 }),
  /**
   * A request naming a session this server does not know: `reject` answers 404 (the spec's
   * way; the client initializes again), `recover` makes a new session under that id.
   */
  unknownSessions: Type.Union([Type.Literal('reject'), Type.Literal('recover')], { default: 'reject' }),
  /** The `retry` hint (ms) sent when the server ends a connection it expects the client to resume. */
  retryMs: Type.Integer({ minimum: 0, default: 1000 }),
  /** Prefix of every Redis key and channel, so several endpoints (or apps) can share a Redis. */
  keyPrefix: Type.String({ default: 'mcp:' }),
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
   * A Redis URL or an ioredis client: the store, event log and bus then live in Redis, so
   * several nodes serve the same sessions. A client is duplicated (its connections are ours).
   */
  redis?: Redis | string
}

/** Defaults applied and checked once, at register time. */
export function resolveSettings (options: Partial<McpSessionSettings>): McpSessionSettings {
  const settings = Value.Default(McpSessionSettingsSchema, structuredClone(options)) as McpSessionSettings
  if (!Value.Check(McpSessionSettingsSchema, settings)) {
    const error = Value.Errors(McpSessionSettingsSchema, settings).First()
    throw new FST_MCP_SESSION_INVALID_OPTIONS(`${error?.path ?? '/'}: ${error?.message ?? 'invalid'}`)
  }
  return settings
}
