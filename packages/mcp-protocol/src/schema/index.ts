import { Type, type TObject } from '@sinclair/typebox'
import {
  EmptyResultSchema,
  PaginatedRequestParamsSchema,
  RequestParamsSchema
} from './base.ts'
import { CompleteRequestParamsSchema, CompleteResultSchema } from './completion.ts'
import { ElicitResultSchema } from './elicitation.ts'
import { InitializeRequestParamsSchema, InitializeResultSchema } from './lifecycle.ts'
import { SetLevelRequestParamsSchema } from './logging.ts'
import {
  CancelledNotificationParamsSchema,
  InitializedNotificationParamsSchema,
  ListChangedNotificationParamsSchema,
  ProgressNotificationParamsSchema
} from './notifications.ts'
import {
  GetPromptRequestParamsSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema
} from './prompts.ts'
import {
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceRequestParamsSchema,
  ReadResourceResultSchema,
  SubscribeRequestParamsSchema,
  UnsubscribeRequestParamsSchema
} from './resources.ts'
import { DiscoverResultSchema, ListenRequestParamsSchema, ListenResultSchema } from './modern.ts'
import { ListRootsResultSchema } from './roots.ts'
import { CreateMessageResultSchema } from './sampling.ts'
import { DetailedTaskSchema, TaskAckResultSchema, TaskRequestParamsSchema, UpdateTaskRequestParamsSchema } from './tasks.ts'
import {
  CallToolRequestParamsSchema,
  CallToolResultSchema,
  ListToolsResultSchema
} from './tools.ts'

export * from './base.ts'
export * from './completion.ts'
export * from './content.ts'
export * from './elicitation.ts'
export * from './jsonrpc.ts'
export * from './lifecycle.ts'
export * from './logging.ts'
export * from './modern.ts'
export * from './notifications.ts'
export * from './prompts.ts'
export * from './resources.ts'
export * from './roots.ts'
export * from './sampling.ts'
export * from './tasks.ts'
export * from './tools.ts'

// For methods whose `params` the spec makes optional: accepts the object or undefined.
function optionalParams<T extends TObject> (schema: T) {
  return Type.Union([schema, Type.Undefined()])
}

/** Client → server request methods → schema of their `params`. */
export const clientRequestParams = {
  initialize: InitializeRequestParamsSchema,
  ping: optionalParams(RequestParamsSchema),
  'tools/list': optionalParams(PaginatedRequestParamsSchema),
  'tools/call': CallToolRequestParamsSchema,
  'resources/list': optionalParams(PaginatedRequestParamsSchema),
  'resources/templates/list': optionalParams(PaginatedRequestParamsSchema),
  'resources/read': ReadResourceRequestParamsSchema,
  'resources/subscribe': SubscribeRequestParamsSchema,
  'resources/unsubscribe': UnsubscribeRequestParamsSchema,
  'prompts/list': optionalParams(PaginatedRequestParamsSchema),
  'prompts/get': GetPromptRequestParamsSchema,
  'completion/complete': CompleteRequestParamsSchema,
  'logging/setLevel': SetLevelRequestParamsSchema,
  // 2026-07-28
  'server/discover': optionalParams(RequestParamsSchema),
  'subscriptions/listen': ListenRequestParamsSchema,
  // The tasks extension (2026-07-28)
  'tasks/get': TaskRequestParamsSchema,
  'tasks/update': UpdateTaskRequestParamsSchema,
  'tasks/cancel': TaskRequestParamsSchema,
  // 2025-11-25 experimental tasks (SEP-1686); removed by the extension
  'tasks/result': TaskRequestParamsSchema
} as const
export type ClientRequestMethod = keyof typeof clientRequestParams

/** Client → server notification methods → schema of their `params`. */
export const clientNotificationParams = {
  'notifications/initialized': optionalParams(InitializedNotificationParamsSchema),
  'notifications/cancelled': CancelledNotificationParamsSchema,
  'notifications/progress': ProgressNotificationParamsSchema,
  'notifications/roots/list_changed': optionalParams(ListChangedNotificationParamsSchema)
} as const
export type ClientNotificationMethod = keyof typeof clientNotificationParams

/** Server → client request methods → schema of the result the client answers with. */
export const serverRequestResults = {
  'sampling/createMessage': CreateMessageResultSchema,
  'elicitation/create': ElicitResultSchema,
  'roots/list': ListRootsResultSchema,
  ping: EmptyResultSchema
} as const
export type ServerRequestMethod = keyof typeof serverRequestResults

/** Client → server request methods → schema of the result the server answers with. */
export const serverResults = {
  initialize: InitializeResultSchema,
  ping: EmptyResultSchema,
  'tools/list': ListToolsResultSchema,
  'tools/call': CallToolResultSchema,
  'resources/list': ListResourcesResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema,
  'resources/read': ReadResourceResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
  'prompts/list': ListPromptsResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
  'server/discover': DiscoverResultSchema,
  'subscriptions/listen': ListenResultSchema,
  'tasks/get': DetailedTaskSchema,
  'tasks/update': TaskAckResultSchema,
  'tasks/cancel': TaskAckResultSchema,
  'tasks/result': TaskAckResultSchema
} as const
