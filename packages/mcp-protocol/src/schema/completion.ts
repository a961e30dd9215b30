import { Type, type Static } from '@sinclair/typebox'
import { BaseMetadataSchema, RequestParamsSchema, ResultSchema } from './base.ts'

export const PromptReferenceSchema = Type.Object({
  ...BaseMetadataSchema.properties,
  type: Type.Literal('ref/prompt')
})
export type PromptReference = Static<typeof PromptReferenceSchema>

export const ResourceTemplateReferenceSchema = Type.Object({
  type: Type.Literal('ref/resource'),
  // A URI or a URI template.
  uri: Type.String()
})
export type ResourceTemplateReference = Static<typeof ResourceTemplateReferenceSchema>

// The 2025-03-26 name of ResourceTemplateReference; same shape.
export const ResourceReferenceSchema = Type.Object({
  ...ResourceTemplateReferenceSchema.properties
})
export type ResourceReference = Static<typeof ResourceReferenceSchema>

export const CompleteRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  ref: Type.Union([PromptReferenceSchema, ResourceTemplateReferenceSchema]),
  argument: Type.Object({
    name: Type.String(),
    value: Type.String()
  }),
  // Added in 2025-06-18: arguments already resolved in the template or prompt.
  context: Type.Optional(Type.Object({
    arguments: Type.Optional(Type.Record(Type.String(), Type.String()))
  }))
})
export type CompleteRequestParams = Static<typeof CompleteRequestParamsSchema>

export const CompleteResultSchema = Type.Object({
  ...ResultSchema.properties,
  completion: Type.Object({
    // The spec says this must not exceed 100 items.
    values: Type.Array(Type.String(), { maxItems: 100 }),
    // May exceed the number of values sent.
    total: Type.Optional(Type.Integer()),
    hasMore: Type.Optional(Type.Boolean())
  })
})
export type CompleteResult = Static<typeof CompleteResultSchema>
