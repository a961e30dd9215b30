import { Type, type Static } from '@sinclair/typebox'
import { MetaSchema, ResultSchema } from './base.ts'

export const RootSchema = Type.Object({
  // For now this must be a file:// URI.
  uri: Type.String(),
  name: Type.Optional(Type.String()),
  _meta: Type.Optional(MetaSchema)
})
export type Root = Static<typeof RootSchema>

export const ListRootsResultSchema = Type.Object({
  ...ResultSchema.properties,
  roots: Type.Array(RootSchema)
})
export type ListRootsResult = Static<typeof ListRootsResultSchema>
