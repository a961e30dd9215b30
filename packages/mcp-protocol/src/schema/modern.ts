import { Type, type Static } from '@sinclair/typebox'
import { ImplementationSchema, LoggingLevelSchema, ProgressTokenSchema, RequestParamsSchema, ResultSchema } from './base.ts'
import { ElicitRequestFormParamsSchema, ElicitResultSchema } from './elicitation.ts'
import { ClientCapabilitiesSchema, ServerCapabilitiesSchema } from './lifecycle.ts'
import { ListRootsResultSchema } from './roots.ts'
import { CreateMessageRequestParamsSchema, CreateMessageResultSchema } from './sampling.ts'

// What 2026-07-28 adds: the per-request `_meta` envelope, `server/discover`, Multi Round-Trip
// Requests (input required, then a retry with the answers) and `subscriptions/listen`.

/** The reserved `_meta` keys of 2026-07-28. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId'
} as const

/** The `_meta` of every 2026-07-28 request: who the client is and what it can do, per request. */
export const RequestEnvelopeSchema = Type.Object({
  [META.protocolVersion]: Type.String(),
  [META.clientCapabilities]: ClientCapabilitiesSchema,
  [META.clientInfo]: Type.Optional(ImplementationSchema),
  [META.logLevel]: Type.Optional(LoggingLevelSchema),
  progressToken: Type.Optional(ProgressTokenSchema)
})
export type RequestEnvelope = Static<typeof RequestEnvelopeSchema>

/** `server/discover`: what the server speaks and offers (caching hints and identity are added on the way out). */
export const DiscoverResultSchema = Type.Object({
  ...ResultSchema.properties,
  supportedVersions: Type.Array(Type.String()),
  capabilities: ServerCapabilitiesSchema,
  instructions: Type.Optional(Type.String())
})
export type DiscoverResult = Static<typeof DiscoverResultSchema>

/** The final result of a `subscriptions/listen` stream the server ends. */
export const ListenResultSchema = Type.Object({
  _meta: Type.Object({ [META.subscriptionId]: Type.Union([Type.String(), Type.Integer()]) })
})

/** How long a client may reuse a result, and whether a shared cache may hold it (2026-07-28). */
export const CacheScopeSchema = Type.Union([Type.Literal('public'), Type.Literal('private')])
export type CacheScope = Static<typeof CacheScopeSchema>

/** What a `subscriptions/listen` stream carries; unknown kinds are not honoured. */
export const SubscriptionFilterSchema = Type.Object({
  toolsListChanged: Type.Optional(Type.Boolean()),
  promptsListChanged: Type.Optional(Type.Boolean()),
  resourcesListChanged: Type.Optional(Type.Boolean()),
  resourceSubscriptions: Type.Optional(Type.Array(Type.String()))
})
export type SubscriptionFilter = Static<typeof SubscriptionFilterSchema>

export const ListenRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  notifications: SubscriptionFilterSchema
})
export type ListenRequestParams = Static<typeof ListenRequestParamsSchema>

/** The input a server may ask for in an `InputRequiredResult`, with what answers it. */
export const inputKinds = {
  'elicitation/create': { params: ElicitRequestFormParamsSchema, result: ElicitResultSchema, capability: 'elicitation' },
  'sampling/createMessage': { params: CreateMessageRequestParamsSchema, result: CreateMessageResultSchema, capability: 'sampling' },
  'roots/list': { params: undefined, result: ListRootsResultSchema, capability: 'roots' }
} as const
export type InputMethod = keyof typeof inputKinds

/** One question of an `InputRequiredResult`: a bare request, no JSON-RPC id. */
export interface InputRequest {
  method: InputMethod
  params?: Record<string, unknown>
}
