import { Type, type Static } from '@sinclair/typebox'

export const RequestIdSchema = Type.Union([Type.String(), Type.Integer()])
export type RequestId = Static<typeof RequestIdSchema>

const JSONRPCVersionSchema = Type.Literal('2.0')

// `params` and `result` may hold any members; MCP methods refine them.
const OpenObjectSchema = Type.Record(Type.String(), Type.Unknown())

// Envelopes are strict: no top-level member beyond those of JSON-RPC 2.0.
const strict = { additionalProperties: false } as const

export const JSONRPCRequestSchema = Type.Object({
  jsonrpc: JSONRPCVersionSchema,
  id: RequestIdSchema,
  method: Type.String(),
  params: Type.Optional(OpenObjectSchema)
}, strict)
export type JSONRPCRequest = Static<typeof JSONRPCRequestSchema>

export const JSONRPCNotificationSchema = Type.Object({
  jsonrpc: JSONRPCVersionSchema,
  method: Type.String(),
  params: Type.Optional(OpenObjectSchema)
}, strict)
export type JSONRPCNotification = Static<typeof JSONRPCNotificationSchema>

export const JSONRPCResultResponseSchema = Type.Object({
  jsonrpc: JSONRPCVersionSchema,
  id: RequestIdSchema,
  result: OpenObjectSchema
}, strict)
export type JSONRPCResultResponse = Static<typeof JSONRPCResultResponseSchema>

// The spec's `Error` type, renamed so it does not shadow the global `Error`.
export const JSONRPCErrorObjectSchema = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Optional(Type.Unknown())
})
export type JSONRPCErrorObject = Static<typeof JSONRPCErrorObjectSchema>

export const JSONRPCErrorResponseSchema = Type.Object({
  jsonrpc: JSONRPCVersionSchema,
  // Required before 2025-11-25; may be omitted when the request id is unknown.
  id: Type.Optional(RequestIdSchema),
  error: JSONRPCErrorObjectSchema
}, strict)
export type JSONRPCErrorResponse = Static<typeof JSONRPCErrorResponseSchema>

export const JSONRPCResponseSchema = Type.Union([
  JSONRPCResultResponseSchema,
  JSONRPCErrorResponseSchema
])
export type JSONRPCResponse = Static<typeof JSONRPCResponseSchema>

export const JSONRPCMessageSchema = Type.Union([
  JSONRPCRequestSchema,
  JSONRPCNotificationSchema,
  JSONRPCResultResponseSchema,
  JSONRPCErrorResponseSchema
])
export type JSONRPCMessage = Static<typeof JSONRPCMessageSchema>
