import { Type, type Static } from '@sinclair/typebox'
import { RequestParamsSchema, ResultSchema } from './base.ts'
import { JSONRPCErrorObjectSchema } from './jsonrpc.ts'

// The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) of 2026-07-28: a `tools/call`
// may be answered with a task the client polls (`tasks/get`), feeds (`tasks/update`) and
// cancels (`tasks/cancel`). Extensions are declared per request, in the client capabilities of
// the `_meta` envelope, and advertised in `server/discover`.

/** The identifiers of the extensions this engine serves. */
export const EXTENSIONS = {
  tasks: 'io.modelcontextprotocol/tasks',
  ui: 'io.modelcontextprotocol/ui'
} as const

export const TaskStatusSchema = Type.Union([
  Type.Literal('working'),
  Type.Literal('input_required'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled')
])
export type TaskStatus = Static<typeof TaskStatusSchema>

/** What every view of a task carries (2026-07-28 names: `ttlMs`, `pollIntervalMs`). */
export const TaskSchema = Type.Object({
  taskId: Type.String(),
  status: TaskStatusSchema,
  statusMessage: Type.Optional(Type.String()),
  /** ISO 8601. */
  createdAt: Type.String(),
  lastUpdatedAt: Type.String(),
  /** How long the server keeps the task from its creation; `null`: unlimited. */
  ttlMs: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1 }))
})
export type Task = Static<typeof TaskSchema>

/**
 * `tasks/get`: the task with what its status brings: `inputRequests` (input_required), `result`
 * (completed: what the call would have returned, tool errors included), `error` (failed).
 */
export const DetailedTaskSchema = Type.Object({
  ...TaskSchema.properties,
  inputRequests: Type.Optional(Type.Record(Type.String(), Type.Object({ method: Type.String(), params: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }))),
  result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(JSONRPCErrorObjectSchema)
})
export type DetailedTask = Static<typeof DetailedTaskSchema>

export const TaskRequestParamsSchema = Type.Object({
  ...RequestParamsSchema.properties,
  taskId: Type.String()
})
export type TaskRequestParams = Static<typeof TaskRequestParamsSchema>

export const UpdateTaskRequestParamsSchema = Type.Object({
  ...TaskRequestParamsSchema.properties,
  /** Answers, by the keys of the task's `inputRequests`; keys not outstanding are ignored. */
  inputResponses: Type.Record(Type.String(), Type.Unknown())
})
export type UpdateTaskRequestParams = Static<typeof UpdateTaskRequestParamsSchema>

/** `tasks/update`, `tasks/cancel`: an acknowledgement, nothing else. */
export const TaskAckResultSchema = Type.Object({ ...ResultSchema.properties })
