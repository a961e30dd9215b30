import { Type, type Static } from '@sinclair/typebox'

export const ProgressTokenSchema = Type.Union([Type.String(), Type.Integer()])
export type ProgressToken = Static<typeof ProgressTokenSchema>

export const CursorSchema = Type.String()
export type Cursor = Static<typeof CursorSchema>

// `_meta`: reserved for protocol and vendor metadata; any key is allowed.
export const MetaSchema = Type.Record(Type.String(), Type.Unknown())
export type Meta = Static<typeof MetaSchema>

// The `_meta` of request params, which may carry a progress token.
export const RequestMetaSchema = Type.Object({
  progressToken: Type.Optional(ProgressTokenSchema)
})
export type RequestMeta = Static<typeof RequestMetaSchema>

export const RequestParamsSchema = Type.Object({
  _meta: Type.Optional(RequestMetaSchema)
})
export type RequestParams = Static<typeof RequestParamsSchema>

/** 2026-07-28: the members a retried request adds to `tools/call`, `prompts/get` and `resources/read`. */
export const InputResponseParamsSchema = Type.Object({
  /** The client's answers, by the keys of the `inputRequests` it was sent. */
  inputResponses: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** Echoed byte for byte from the `InputRequiredResult`. */
  requestState: Type.Optional(Type.String())
})

export const NotificationParamsSchema = Type.Object({
  _meta: Type.Optional(MetaSchema)
})
export type NotificationParams = Static<typeof NotificationParamsSchema>

export const PaginatedRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  cursor: Type.Optional(CursorSchema)
})
export type PaginatedRequestParams = Static<typeof PaginatedRequestParamsSchema>

export const ResultSchema = Type.Object({
  _meta: Type.Optional(MetaSchema)
})
export type Result = Static<typeof ResultSchema>

export const EmptyResultSchema = Type.Object({
  ...ResultSchema.properties
})
export type EmptyResult = Static<typeof EmptyResultSchema>

export const PaginatedResultSchema = Type.Object({
  ...ResultSchema.properties,
  nextCursor: Type.Optional(CursorSchema)
})
export type PaginatedResult = Static<typeof PaginatedResultSchema>

export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('assistant')])
export type Role = Static<typeof RoleSchema>

export const AnnotationsSchema = Type.Object({
  audience: Type.Optional(Type.Array(RoleSchema)),
  priority: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  // Added in 2025-06-18.
  lastModified: Type.Optional(Type.String())
})
export type Annotations = Static<typeof AnnotationsSchema>

// Added in 2025-11-25.
export const IconSchema = Type.Object({
  src: Type.String(),
  mimeType: Type.Optional(Type.String()),
  sizes: Type.Optional(Type.Array(Type.String())),
  theme: Type.Optional(Type.Union([Type.Literal('light'), Type.Literal('dark')]))
})
export type Icon = Static<typeof IconSchema>

export const IconsSchema = Type.Object({
  icons: Type.Optional(Type.Array(IconSchema))
})
export type Icons = Static<typeof IconsSchema>

export const BaseMetadataSchema = Type.Object({
  name: Type.String(),
  // Display name, added in 2025-06-18.
  title: Type.Optional(Type.String())
})
export type BaseMetadata = Static<typeof BaseMetadataSchema>

export const ImplementationSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  ...IconsSchema.properties,
  version: Type.String(),
  // `description` and `websiteUrl` were added in 2025-11-25.
  description: Type.Optional(Type.String()),
  websiteUrl: Type.Optional(Type.String())
})
export type Implementation = Static<typeof ImplementationSchema>

// The syslog severities of RFC 5424, from least to most severe.
export const LoggingLevelSchema = Type.Union([
  Type.Literal('debug'),
  Type.Literal('info'),
  Type.Literal('notice'),
  Type.Literal('warning'),
  Type.Literal('error'),
  Type.Literal('critical'),
  Type.Literal('alert'),
  Type.Literal('emergency')
])
export type LoggingLevel = Static<typeof LoggingLevelSchema>
