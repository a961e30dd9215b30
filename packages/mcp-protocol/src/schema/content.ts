import { Type, type Static } from '@sinclair/typebox'
import {
  AnnotationsSchema,
  BaseMetadataSchema,
  IconsSchema,
  MetaSchema
} from './base.ts'

export const TextContentSchema = Type.Object({
  type: Type.Literal('text'),
  text: Type.String(),
  annotations: Type.Optional(AnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type TextContent = Static<typeof TextContentSchema>

export const ImageContentSchema = Type.Object({
  type: Type.Literal('image'),
  // Base64-encoded image data.
  data: Type.String(),
  mimeType: Type.String(),
  annotations: Type.Optional(AnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type ImageContent = Static<typeof ImageContentSchema>

export const AudioContentSchema = Type.Object({
  type: Type.Literal('audio'),
  // Base64-encoded audio data.
  data: Type.String(),
  mimeType: Type.String(),
  annotations: Type.Optional(AnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type AudioContent = Static<typeof AudioContentSchema>

// Defined here rather than in resources.ts because ResourceLink extends it.
export const ResourceSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  ...IconsSchema.properties,
  uri: Type.String(),
  description: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  annotations: Type.Optional(AnnotationsSchema),
  // Size of the raw content in bytes, before any encoding.
  size: Type.Optional(Type.Integer()),
  _meta: Type.Optional(MetaSchema)
})
export type Resource = Static<typeof ResourceSchema>

// Added in 2025-06-18.
export const ResourceLinkSchema = Type.Object({
  ...ResourceSchema.properties,
  type: Type.Literal('resource_link')
})
export type ResourceLink = Static<typeof ResourceLinkSchema>

// The members every resource contents object has (the spec's base interface).
export const ResourceContentsSchema = Type.Object({
  uri: Type.String(),
  mimeType: Type.Optional(Type.String()),
  _meta: Type.Optional(MetaSchema)
})
export type ResourceContents = Static<typeof ResourceContentsSchema>

export const TextResourceContentsSchema = Type.Object({
  ...ResourceContentsSchema.properties,
  text: Type.String()
})
export type TextResourceContents = Static<typeof TextResourceContentsSchema>

export const BlobResourceContentsSchema = Type.Object({
  ...ResourceContentsSchema.properties,
  // Base64-encoded binary data.
  blob: Type.String()
})
export type BlobResourceContents = Static<typeof BlobResourceContentsSchema>

export const EmbeddedResourceSchema = Type.Object({
  type: Type.Literal('resource'),
  resource: Type.Union([TextResourceContentsSchema, BlobResourceContentsSchema]),
  annotations: Type.Optional(AnnotationsSchema),
  _meta: Type.Optional(MetaSchema)
})
export type EmbeddedResource = Static<typeof EmbeddedResourceSchema>

export const ContentBlockSchema = Type.Union([
  TextContentSchema,
  ImageContentSchema,
  AudioContentSchema,
  ResourceLinkSchema,
  EmbeddedResourceSchema
])
export type ContentBlock = Static<typeof ContentBlockSchema>
