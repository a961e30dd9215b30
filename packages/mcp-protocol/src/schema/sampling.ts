import { Type, type Static } from '@sinclair/typebox'
import { MetaSchema, RequestParamsSchema, ResultSchema, RoleSchema } from './base.ts'
import {
  AudioContentSchema,
  ContentBlockSchema,
  ImageContentSchema,
  TextContentSchema
} from './content.ts'
import { ToolSchema } from './tools.ts'

export const ModelHintSchema = Type.Object({
  // Matched as a substring of a model name; the client may map it to another provider.
  name: Type.Optional(Type.String())
})
export type ModelHint = Static<typeof ModelHintSchema>

const PrioritySchema = Type.Number({ minimum: 0, maximum: 1 })

export const ModelPreferencesSchema = Type.Object({
  hints: Type.Optional(Type.Array(ModelHintSchema)),
  costPriority: Type.Optional(PrioritySchema),
  speedPriority: Type.Optional(PrioritySchema),
  intelligencePriority: Type.Optional(PrioritySchema)
})
export type ModelPreferences = Static<typeof ModelPreferencesSchema>

// Added in 2025-11-25 (tool use in sampling).
export const ToolChoiceSchema = Type.Object({
  mode: Type.Optional(Type.Union([
    Type.Literal('auto'),
    Type.Literal('required'),
    Type.Literal('none')
  ]))
})
export type ToolChoice = Static<typeof ToolChoiceSchema>

// Added in 2025-11-25: the model asks to call a tool.
export const ToolUseContentSchema = Type.Object({
  type: Type.Literal('tool_use'),
  id: Type.String(),
  name: Type.String(),
  input: Type.Record(Type.String(), Type.Unknown()),
  _meta: Type.Optional(MetaSchema)
})
export type ToolUseContent = Static<typeof ToolUseContentSchema>

// Added in 2025-11-25: the result of a tool use, sent back to the model.
export const ToolResultContentSchema = Type.Object({
  type: Type.Literal('tool_result'),
  toolUseId: Type.String(),
  content: Type.Array(ContentBlockSchema),
  structuredContent: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  isError: Type.Optional(Type.Boolean()),
  _meta: Type.Optional(MetaSchema)
})
export type ToolResultContent = Static<typeof ToolResultContentSchema>

export const SamplingMessageContentBlockSchema = Type.Union([
  TextContentSchema,
  ImageContentSchema,
  AudioContentSchema,
  ToolUseContentSchema,
  ToolResultContentSchema
])
export type SamplingMessageContentBlock = Static<typeof SamplingMessageContentBlockSchema>

// A single block, or (since 2025-11-25) an array of blocks.
const SamplingContentSchema = Type.Union([
  SamplingMessageContentBlockSchema,
  Type.Array(SamplingMessageContentBlockSchema)
])

export const SamplingMessageSchema = Type.Object({
  role: RoleSchema,
  content: SamplingContentSchema,
  _meta: Type.Optional(MetaSchema)
})
export type SamplingMessage = Static<typeof SamplingMessageSchema>

// The 2025-11-25 `task` member is not modelled; the object is open.
export const CreateMessageRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  messages: Type.Array(SamplingMessageSchema),
  modelPreferences: Type.Optional(ModelPreferencesSchema),
  systemPrompt: Type.Optional(Type.String()),
  // 'thisServer' and 'allServers' are soft-deprecated since 2025-11-25.
  includeContext: Type.Optional(Type.Union([
    Type.Literal('none'),
    Type.Literal('thisServer'),
    Type.Literal('allServers')
  ])),
  temperature: Type.Optional(Type.Number()),
  maxTokens: Type.Integer(),
  stopSequences: Type.Optional(Type.Array(Type.String())),
  // Provider-specific metadata passed through to the LLM provider.
  metadata: Type.Optional(Type.Object({})),
  // `tools` and `toolChoice` were added in 2025-11-25.
  tools: Type.Optional(Type.Array(ToolSchema)),
  toolChoice: Type.Optional(ToolChoiceSchema)
})
export type CreateMessageRequestParams = Static<typeof CreateMessageRequestParamsSchema>

export const CreateMessageResultSchema = Type.Object({
  ...ResultSchema.properties,
  role: RoleSchema,
  content: SamplingContentSchema,
  model: Type.String(),
  // Usually 'endTurn', 'stopSequence', 'maxTokens' or 'toolUse', but any provider value is allowed.
  stopReason: Type.Optional(Type.String())
})
export type CreateMessageResult = Static<typeof CreateMessageResultSchema>
