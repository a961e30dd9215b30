import { Type, type Static } from '@sinclair/typebox'
import {
  BaseMetadataSchema,
  IconsSchema,
  InputResponseParamsSchema,
  MetaSchema,
  PaginatedResultSchema,
  RequestParamsSchema,
  ResultSchema
} from './base.ts'
import { ContentBlockSchema } from './content.ts'

// The root of a tool's input or output JSON Schema; only `type: 'object'` is allowed there.
const ObjectJSONSchemaSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  type: Type.Literal('object'),
  properties: Type.Optional(Type.Record(Type.String(), Type.Object({}))),
  required: Type.Optional(Type.Array(Type.String()))
})

// Every member is a hint from the server, not a guarantee.
export const ToolAnnotationsSchema = Type.Object({
  title: Type.Optional(Type.String()),
  readOnlyHint: Type.Optional(Type.Boolean()),
  destructiveHint: Type.Optional(Type.Boolean()),
  idempotentHint: Type.Optional(Type.Boolean()),
  openWorldHint: Type.Optional(Type.Boolean())
})
export type ToolAnnotations = Static<typeof ToolAnnotationsSchema>

// The 2025-11-25 `execution` (task support) member is not modelled; the object is open.
export const ToolSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  ...IconsSchema.properties,
  description: Type.Optional(Type.String()),
  inputSchema: ObjectJSONSchemaSchema,
  // Added in 2025-06-18; describes `structuredContent`.
  outputSchema: Type.Optional(ObjectJSONSchemaSchema),
  annotations: Type.Optional(ToolAnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type Tool = Static<typeof ToolSchema>

export const ListToolsResultSchema = Type.Object({
  ...PaginatedResultSchema.properties,
  tools: Type.Array(ToolSchema)
})
export type ListToolsResult = Static<typeof ListToolsResultSchema>

export const CallToolRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  name: Type.String(),
  arguments: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  // 2026-07-28: the answers of a retried request (Multi Round-Trip Requests).
  ...InputResponseParamsSchema.properties
})
export type CallToolRequestParams = Static<typeof CallToolRequestParamsSchema>

export const CallToolResultSchema = Type.Object({
  ...ResultSchema.properties,
  content: Type.Array(ContentBlockSchema),
  // Added in 2025-06-18; should match the tool's `outputSchema`.
  structuredContent: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  // Tool failures are reported here, not as JSON-RPC errors, so the model can see them.
  isError: Type.Optional(Type.Boolean())
})
export type CallToolResult = Static<typeof CallToolResultSchema>
