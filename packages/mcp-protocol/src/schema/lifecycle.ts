import { Type, type Static } from '@sinclair/typebox'
import { ImplementationSchema, RequestParamsSchema, ResultSchema } from './base.ts'

// A capability flag: present (usually `{}`) when supported. Open for future settings.
const CapabilitySchema = Type.Object({})

const ListChangedCapabilitySchema = Type.Object({
  listChanged: Type.Optional(Type.Boolean())
})

// Extensions (SEP-2133, 2025-06-18 and later): settings by extension id, e.g.
// `{ 'io.modelcontextprotocol/tasks': {} }`.
const ExtensionsSchema = Type.Record(Type.String(), CapabilitySchema)

// The 2025-11-25 `tasks` capability is not modelled; being open, these objects accept it.
export const ClientCapabilitiesSchema = Type.Object({
  experimental: Type.Optional(Type.Record(Type.String(), CapabilitySchema)),
  extensions: Type.Optional(ExtensionsSchema),
  roots: Type.Optional(ListChangedCapabilitySchema),
  sampling: Type.Optional(Type.Object({
    // `context` and `tools` were added in 2025-11-25.
    context: Type.Optional(CapabilitySchema),
    tools: Type.Optional(CapabilitySchema)
  })),
  // Added in 2025-06-18; `form` and `url` in 2025-11-25.
  elicitation: Type.Optional(Type.Object({
    form: Type.Optional(CapabilitySchema),
    url: Type.Optional(CapabilitySchema)
  }))
})
export type ClientCapabilities = Static<typeof ClientCapabilitiesSchema>

export const ServerCapabilitiesSchema = Type.Object({
  experimental: Type.Optional(Type.Record(Type.String(), CapabilitySchema)),
  extensions: Type.Optional(ExtensionsSchema),
  logging: Type.Optional(CapabilitySchema),
  completions: Type.Optional(CapabilitySchema),
  prompts: Type.Optional(ListChangedCapabilitySchema),
  resources: Type.Optional(Type.Object({
    subscribe: Type.Optional(Type.Boolean()),
    listChanged: Type.Optional(Type.Boolean())
  })),
  tools: Type.Optional(ListChangedCapabilitySchema)
})
export type ServerCapabilities = Static<typeof ServerCapabilitiesSchema>

export const InitializeRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  // The latest revision the client supports, e.g. '2025-11-25'.
  protocolVersion: Type.String(),
  capabilities: ClientCapabilitiesSchema,
  clientInfo: ImplementationSchema
})
export type InitializeRequestParams = Static<typeof InitializeRequestParamsSchema>

export const InitializeResultSchema = Type.Object({
  ...ResultSchema.properties,
  protocolVersion: Type.String(),
  capabilities: ServerCapabilitiesSchema,
  serverInfo: ImplementationSchema,
  instructions: Type.Optional(Type.String())
})
export type InitializeResult = Static<typeof InitializeResultSchema>
