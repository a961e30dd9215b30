import { Type, type Static } from '@sinclair/typebox'
import {
  AnnotationsSchema,
  BaseMetadataSchema,
  IconsSchema,
  InputResponseParamsSchema,
  MetaSchema,
  PaginatedResultSchema,
  RequestParamsSchema,
  ResultSchema
} from './base.ts'
import {
  BlobResourceContentsSchema,
  ResourceSchema,
  TextResourceContentsSchema
} from './content.ts'

export const ListResourcesResultSchema = Type.Object({
  ...PaginatedResultSchema.properties,
  resources: Type.Array(ResourceSchema)
})
export type ListResourcesResult = Static<typeof ListResourcesResultSchema>

export const ResourceTemplateSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  ...IconsSchema.properties,
  // An RFC 6570 URI template.
  uriTemplate: Type.String(),
  description: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  annotations: Type.Optional(AnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type ResourceTemplate = Static<typeof ResourceTemplateSchema>

export const ListResourceTemplatesResultSchema = Type.Object({
  ...PaginatedResultSchema.properties,
  resourceTemplates: Type.Array(ResourceTemplateSchema)
})
export type ListResourceTemplatesResult = Static<typeof ListResourceTemplatesResultSchema>

export const ResourceRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  uri: Type.String()
})
export type ResourceRequestParams = Static<typeof ResourceRequestParamsSchema>

export const ReadResourceRequestParamsSchema = Type.Object({
  ...ResourceRequestParamsSchema.properties,
  // 2026-07-28: the answers of a retried request (Multi Round-Trip Requests).
  ...InputResponseParamsSchema.properties
})
export type ReadResourceRequestParams = Static<typeof ReadResourceRequestParamsSchema>

export const SubscribeRequestParamsSchema = Type.Object({
  ...ResourceRequestParamsSchema.properties
})
export type SubscribeRequestParams = Static<typeof SubscribeRequestParamsSchema>

export const UnsubscribeRequestParamsSchema = Type.Object({
  ...ResourceRequestParamsSchema.properties
})
export type UnsubscribeRequestParams = Static<typeof UnsubscribeRequestParamsSchema>

export const ReadResourceResultSchema = Type.Object({
  ...ResultSchema.properties,
  contents: Type.Array(Type.Union([TextResourceContentsSchema, BlobResourceContentsSchema]))
})
export type ReadResourceResult = Static<typeof ReadResourceResultSchema>
