import { Type, type Static } from '@sinclair/typebox'
import { RequestParamsSchema, ResultSchema } from './base.ts'
import { RequestIdSchema } from './jsonrpc.ts'

// Elicitation was added in 2025-06-18. A form asks for a flat object whose
// properties are described by the restricted JSON Schemas below; their names
// follow the spec (`StringSchema` is the spec type, `StringSchemaSchema` its validator).

const fieldInfo = {
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String())
}

export const StringSchemaSchema = Type.Object({
  type: Type.Literal('string'),
  ...fieldInfo,
  minLength: Type.Optional(Type.Integer()),
  maxLength: Type.Optional(Type.Integer()),
  format: Type.Optional(Type.Union([
    Type.Literal('email'),
    Type.Literal('uri'),
    Type.Literal('date'),
    Type.Literal('date-time')
  ])),
  // Added in 2025-11-25.
  default: Type.Optional(Type.String())
})
export type StringSchema = Static<typeof StringSchemaSchema>

export const NumberSchemaSchema = Type.Object({
  type: Type.Union([Type.Literal('number'), Type.Literal('integer')]),
  ...fieldInfo,
  minimum: Type.Optional(Type.Number()),
  maximum: Type.Optional(Type.Number()),
  // Added in 2025-11-25.
  default: Type.Optional(Type.Number())
})
export type NumberSchema = Static<typeof NumberSchemaSchema>

export const BooleanSchemaSchema = Type.Object({
  type: Type.Literal('boolean'),
  ...fieldInfo,
  default: Type.Optional(Type.Boolean())
})
export type BooleanSchema = Static<typeof BooleanSchemaSchema>

// An option of a titled enum: the value and its display label.
const TitledOptionSchema = Type.Object({
  const: Type.String(),
  title: Type.String()
})

// The enum forms below (except the legacy one) were added in 2025-11-25.
export const UntitledSingleSelectEnumSchemaSchema = Type.Object({
  type: Type.Literal('string'),
  ...fieldInfo,
  enum: Type.Array(Type.String()),
  default: Type.Optional(Type.String())
})
export type UntitledSingleSelectEnumSchema = Static<typeof UntitledSingleSelectEnumSchemaSchema>

export const TitledSingleSelectEnumSchemaSchema = Type.Object({
  type: Type.Literal('string'),
  ...fieldInfo,
  oneOf: Type.Array(TitledOptionSchema),
  default: Type.Optional(Type.String())
})
export type TitledSingleSelectEnumSchema = Static<typeof TitledSingleSelectEnumSchemaSchema>

export const SingleSelectEnumSchemaSchema = Type.Union([
  UntitledSingleSelectEnumSchemaSchema,
  TitledSingleSelectEnumSchemaSchema
])
export type SingleSelectEnumSchema = Static<typeof SingleSelectEnumSchemaSchema>

const multiSelectInfo = {
  ...fieldInfo,
  minItems: Type.Optional(Type.Integer()),
  maxItems: Type.Optional(Type.Integer()),
  default: Type.Optional(Type.Array(Type.String()))
}

export const UntitledMultiSelectEnumSchemaSchema = Type.Object({
  type: Type.Literal('array'),
  ...multiSelectInfo,
  items: Type.Object({
    type: Type.Literal('string'),
    enum: Type.Array(Type.String())
  })
})
export type UntitledMultiSelectEnumSchema = Static<typeof UntitledMultiSelectEnumSchemaSchema>

export const TitledMultiSelectEnumSchemaSchema = Type.Object({
  type: Type.Literal('array'),
  ...multiSelectInfo,
  items: Type.Object({
    anyOf: Type.Array(TitledOptionSchema)
  })
})
export type TitledMultiSelectEnumSchema = Static<typeof TitledMultiSelectEnumSchemaSchema>

export const MultiSelectEnumSchemaSchema = Type.Union([
  UntitledMultiSelectEnumSchemaSchema,
  TitledMultiSelectEnumSchemaSchema
])
export type MultiSelectEnumSchema = Static<typeof MultiSelectEnumSchemaSchema>

// The 2025-06-18 enum form; `enumNames` (display labels) is not standard JSON Schema.
export const LegacyTitledEnumSchemaSchema = Type.Object({
  type: Type.Literal('string'),
  ...fieldInfo,
  enum: Type.Array(Type.String()),
  enumNames: Type.Optional(Type.Array(Type.String())),
  default: Type.Optional(Type.String())
})
export type LegacyTitledEnumSchema = Static<typeof LegacyTitledEnumSchemaSchema>

export const EnumSchemaSchema = Type.Union([
  SingleSelectEnumSchemaSchema,
  MultiSelectEnumSchemaSchema,
  LegacyTitledEnumSchemaSchema
])
export type EnumSchema = Static<typeof EnumSchemaSchema>

export const PrimitiveSchemaDefinitionSchema = Type.Union([
  StringSchemaSchema,
  NumberSchemaSchema,
  BooleanSchemaSchema,
  EnumSchemaSchema
])
export type PrimitiveSchemaDefinition = Static<typeof PrimitiveSchemaDefinitionSchema>

export const ElicitRequestFormParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  // `mode` was added in 2025-11-25; absent means 'form'.
  mode: Type.Optional(Type.Literal('form')),
  message: Type.String(),
  requestedSchema: Type.Object({
    $schema: Type.Optional(Type.String()),
    type: Type.Literal('object'),
    properties: Type.Record(Type.String(), PrimitiveSchemaDefinitionSchema),
    required: Type.Optional(Type.Array(Type.String()))
  })
})
export type ElicitRequestFormParams = Static<typeof ElicitRequestFormParamsSchema>

// Added in 2025-11-25: send the user to a URL instead of collecting data in the client.
export const ElicitRequestURLParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  mode: Type.Literal('url'),
  message: Type.String(),
  // Opaque to the client; unique within the server.
  elicitationId: Type.String(),
  url: Type.String()
})
export type ElicitRequestURLParams = Static<typeof ElicitRequestURLParamsSchema>

export const ElicitRequestParamsSchema = Type.Union([
  ElicitRequestFormParamsSchema,
  ElicitRequestURLParamsSchema
])
export type ElicitRequestParams = Static<typeof ElicitRequestParamsSchema>

export const ElicitResultSchema = Type.Object({
  ...ResultSchema.properties,
  action: Type.Union([
    Type.Literal('accept'),
    Type.Literal('decline'),
    Type.Literal('cancel')
  ]),
  // Only for action 'accept' in form mode; string arrays (multi-select) since 2025-11-25.
  content: Type.Optional(Type.Record(Type.String(), Type.Union([
    Type.String(),
    Type.Number(),
    Type.Boolean(),
    Type.Array(Type.String())
  ])))
})
export type ElicitResult = Static<typeof ElicitResultSchema>

// Added in 2025-11-25: the JSON-RPC error (code -32042) a server returns when a
// request needs URL elicitations to complete first.
export const URLElicitationRequiredErrorSchema = Type.Object({
  jsonrpc: Type.Literal('2.0'),
  id: Type.Optional(RequestIdSchema),
  error: Type.Object({
    code: Type.Literal(-32042),
    message: Type.String(),
    data: Type.Object({
      elicitations: Type.Array(ElicitRequestURLParamsSchema)
    })
  })
}, { additionalProperties: false })
export type URLElicitationRequiredError = Static<typeof URLElicitationRequiredErrorSchema>
