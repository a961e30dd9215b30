import { Type, type Static } from '@sinclair/typebox'
import { LoggingLevelSchema, NotificationParamsSchema, ProgressTokenSchema } from './base.ts'
import { RequestIdSchema } from './jsonrpc.ts'

export const CancelledNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties,
  // Required before 2025-11-25 (which made it optional for the sake of tasks).
  requestId: Type.Optional(RequestIdSchema),
  reason: Type.Optional(Type.String())
})
export type CancelledNotificationParams = Static<typeof CancelledNotificationParamsSchema>

export const ProgressNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties,
  // The token from the request's `_meta.progressToken`.
  progressToken: ProgressTokenSchema,
  // Increases with each notification, even when the total is unknown.
  progress: Type.Number(),
  total: Type.Optional(Type.Number()),
  message: Type.Optional(Type.String())
})
export type ProgressNotificationParams = Static<typeof ProgressNotificationParamsSchema>

export const InitializedNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties
})
export type InitializedNotificationParams = Static<typeof InitializedNotificationParamsSchema>

export const LoggingMessageNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties,
  level: LoggingLevelSchema,
  logger: Type.Optional(Type.String()),
  // Any JSON value: a string message, an object, ...
  data: Type.Unknown()
})
export type LoggingMessageNotificationParams = Static<typeof LoggingMessageNotificationParamsSchema>

export const ResourceUpdatedNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties,
  // May be a sub-resource of the one subscribed to.
  uri: Type.String()
})
export type ResourceUpdatedNotificationParams = Static<typeof ResourceUpdatedNotificationParamsSchema>

// The params of notifications/{resources,tools,prompts,roots}/list_changed.
export const ListChangedNotificationParamsSchema = Type.Object({
  ...NotificationParamsSchema.properties
})
export type ListChangedNotificationParams = Static<typeof ListChangedNotificationParamsSchema>

// Added in 2025-11-25: a URL-mode elicitation finished out of band.
export const ElicitationCompleteNotificationParamsSchema = Type.Object({
  elicitationId: Type.String()
})
export type ElicitationCompleteNotificationParams = Static<typeof ElicitationCompleteNotificationParamsSchema>
