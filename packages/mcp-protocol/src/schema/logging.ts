import { Type, type Static } from '@sinclair/typebox'
import { LoggingLevelSchema, RequestParamsSchema } from './base.ts'

export const SetLevelRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  // The server sends messages at this level and above as notifications/message.
  level: LoggingLevelSchema
})
export type SetLevelRequestParams = Static<typeof SetLevelRequestParamsSchema>
