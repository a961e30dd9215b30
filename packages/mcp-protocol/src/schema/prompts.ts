import { Type, type Static } from '@sinclair/typebox'
import {
  BaseMetadataSchema,
  IconsSchema,
  InputResponseParamsSchema,
  MetaSchema,
  PaginatedResultSchema,
  RequestParamsSchema,
  ResultSchema,
  RoleSchema
} from './base.ts'
import { ContentBlockSchema } from './content.ts'

export const PromptArgumentSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  description: Type.Optional(Type.String()),
  required: Type.Optional(Type.Boolean())
})
export type PromptArgument = Static<typeof PromptArgumentSchema>

export const PromptSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  ...IconsSchema.properties,
  description: Type.Optional(Type.String()),
  arguments: Type.Optional(Type.Array(PromptArgumentSchema)),
  _meta: Type.Optional(MetaSchema)
})
export type Prompt = Static<typeof PromptSchema>

export const ListPromptsResultSchema = Type.Object({
  ...PaginatedResultSchema.properties,
  prompts: Type.Array(PromptSchema)
})
export type ListPromptsResult = Static<typeof ListPromptsResultSchema>

export const GetPromptRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  name: Type.String(),
  arguments: Type.Optional(Type.Record(Type.String(), Type.String())),
  // 2026-07-28: the answers of a retried request (Multi Round-Trip Requests).
  ...InputResponseParamsSchema.properties
})
export type GetPromptRequestParams = Static<typeof GetPromptRequestParamsSchema>

export const PromptMessageSchema = Type.Object({
  role: RoleSchema,
  content: ContentBlockSchema
})
export type PromptMessage = Static<typeof PromptMessageSchema>

export const GetPromptResultSchema = Type.Object({
  ...ResultSchema.properties,
  description: Type.Optional(Type.String()),
  messages: Type.Array(PromptMessageSchema)
})
export type GetPromptResult = Static<typeof GetPromptResultSchema>
