import { Type, type Static } from '@sinclair/typebox'
import { JSONRPCErrorObjectSchema } from './schema/index.ts'

/**
 * Where tasks (the tasks extension, `io.modelcontextprotocol/tasks`) are kept, and how the node
 * that runs a task is reached from the node a client's `tasks/update` or `tasks/cancel` lands on.
 * A task runs on one node (its handler is a promise there); its record is readable on every node
 * that shares the store. `MemoryTaskStore` serves one process (any number of servers in it);
 * mcp-session's `RedisTaskStore` serves a cluster.
 */

/** The status a record keeps; `input_required` is derived (an unfinished task with questions pending). */
export const StoredTaskStatusSchema = Type.Union([
  Type.Literal('working'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled')
])
export type StoredTaskStatus = Static<typeof StoredTaskStatusSchema>

/** A question a task waits on: a bare request, as in an `InputRequiredResult`. */
export const StoredInputRequestSchema = Type.Object({
  method: Type.Union([Type.Literal('elicitation/create'), Type.Literal('sampling/createMessage'), Type.Literal('roots/list')]),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
})

/**
 * One task, as every store keeps it (a store that reads it back from another process checks it
 * against this schema). Times are milliseconds since the epoch.
 */
export const TaskRecordSchema = Type.Object({
  /** At least 128 random bits (base64url). */
  id: Type.String({ minLength: 16, maxLength: 64 }),
  /** Who created it (an auth plugin's principal); `null`: anonymous. Only they see it. */
  principal: Type.Union([Type.String(), Type.Null()]),
  /** The tool it runs. */
  tool: Type.String(),
  /** The node running it (its lease says whether it is alive). */
  node: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  ttlMs: Type.Integer({ minimum: 1 }),
  pollIntervalMs: Type.Integer({ minimum: 1 }),
  /** When the store may forget it (`createdAt + ttlMs`, later for a task ended by its expiry). */
  keepUntil: Type.Integer(),
  status: StoredTaskStatusSchema,
  statusMessage: Type.Optional(Type.String()),
  /** Questions the running handler waits on, by key. */
  pending: Type.Record(Type.String(), StoredInputRequestSchema),
  /** Answers a client gave (`tasks/update`) that the running node has not taken yet. */
  answers: Type.Record(Type.String(), Type.Unknown()),
  /** `completed`: what the tool returned (an `isError` result included). */
  result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** `failed`: the JSON-RPC error. */
  error: Type.Optional(JSONRPCErrorObjectSchema)
})
export type TaskRecord = Static<typeof TaskRecordSchema>

/** A task by its id, as its principal asks for it: another principal's task is not found. */
export interface TaskRef {
  principal: string | null
  id: string
}

/** How a task ends. */
export type TaskEnd =
  | { status: 'completed', result: Record<string, unknown> }
  | { status: 'failed', error: { code: number, message: string, data?: unknown }, statusMessage: string, keepUntil?: number }
  | { status: 'cancelled', statusMessage: string }

/** What the node running a task is told: a client answered (`input`), or cancelled it. */
export interface TaskNotice {
  id: string
  kind: 'input' | 'cancel'
}

export interface TaskStore {
  /**
   * Stores a new task, unless its principal already has `maxActive` unfinished ones (false then).
   * Resolves once a `get` on any node finds it (the extension's durable creation).
   */
  create (task: TaskRecord, maxActive: number): Promise<boolean>
  /** The task, if `ref.principal` created it and it is kept still. */
  get (ref: TaskRef): Promise<TaskRecord | undefined>
  /** The running node: questions it now waits on (added to `pending`), a new status message. Nothing on a finished task. */
  update (ref: TaskRef, change: { ask?: TaskRecord['pending'], statusMessage?: string }): Promise<void>
  /**
   * A client's answers (`tasks/update`): those of pending questions move to `answers`, the others
   * are ignored. The keys taken in; `undefined` when there is no such task.
   */
  answer (ref: TaskRef, responses: Record<string, unknown>): Promise<string[] | undefined>
  /** The running node takes the answers stored for its task (they are removed). */
  take (ref: TaskRef): Promise<Record<string, unknown>>
  /** Ends an unfinished task; false when it had ended already (or is gone): the first end wins. */
  finish (ref: TaskRef, end: TaskEnd): Promise<boolean>
  /** `node` is alive for `leaseMs` more (its tasks are not orphans). */
  heartbeat (node: string, leaseMs: number): Promise<void>
  /** Whether `node`'s lease runs. */
  alive (node: string): Promise<boolean>
  /** `node` is gone: its lease ends now (it finished or failed its tasks first). */
  leave (node: string): Promise<void>
  /** Up to `limit` unfinished tasks of nodes whose lease ran out: the sweeper fails them. */
  orphans (limit: number): Promise<TaskRef[]>
  /** Tells `node` about one of its tasks. At most once: the node also looks by itself now and then. */
  signal (node: string, notice: TaskNotice): Promise<void>
  /** Hears what is signalled to `node`; resolves once delivery works, to the way to stop. */
  listen (node: string, listener: (notice: TaskNotice) => void): Promise<() => Promise<void>>
  close (): Promise<void>
}

/** Unfinished: still `working` (or waiting on input). */
export function isUnfinished (task: TaskRecord): boolean {
  return task.status === 'working'
}

/**
 * Moves the answers of pending questions from `responses` to the task's `answers`; the keys it
 * took. The memory store runs it on its record; a shared store runs the same rule atomically.
 */
export function acceptAnswers (task: TaskRecord, responses: Record<string, unknown>): string[] {
  const taken: string[] = []
  for (const key of Object.keys(responses)) {
    if (!Object.hasOwn(task.pending, key)) continue
    delete task.pending[key]
    task.answers[key] = responses[key]
    taken.push(key)
  }
  return taken
}

/** Applies `end` to an unfinished task (`now`: its last update). */
export function applyEnd (task: TaskRecord, end: TaskEnd, now: number): void {
  task.status = end.status
  task.updatedAt = now
  task.pending = {}
  task.answers = {}
  if (end.status === 'completed') {
    task.result = end.result
  } else {
    task.statusMessage = end.statusMessage
    if (end.status === 'failed') {
      task.error = end.error
      if (end.keepUntil !== undefined) task.keepUntil = Math.max(task.keepUntil, end.keepUntil)
    }
  }
}

/**
 * Tasks in this process's memory: every server of the process that is given the same store
 * shares them (and reaches each other's running tasks); a second process sees none of them.
 */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, TaskRecord>()
  /** Unfinished tasks by principal, for the bound on them. */
  readonly #active = new Map<string | null, Set<string>>()
  readonly #leases = new Map<string, number>()
  readonly #listeners = new Map<string, Set<(notice: TaskNotice) => void>>()
  #purgedAt = 0

  /** Tasks kept (finished ones included), for tests and the benchmark. */
  get size (): number {
    return this.#tasks.size
  }

  async create (task: TaskRecord, maxActive: number): Promise<boolean> {
    this.#purge()
    let active = this.#active.get(task.principal)
    if ((active?.size ?? 0) >= maxActive) return false
    if (active === undefined) {
      active = new Set()
      this.#active.set(task.principal, active)
    }
    this.#tasks.set(task.id, structuredClone(task))
    if (isUnfinished(task)) active.add(task.id)
    return true
  }

  async get (ref: TaskRef): Promise<TaskRecord | undefined> {
    const task = this.#find(ref)
    return task === undefined ? undefined : structuredClone(task)
  }

  async update (ref: TaskRef, change: { ask?: TaskRecord['pending'], statusMessage?: string }): Promise<void> {
    const task = this.#find(ref)
    if (task === undefined || !isUnfinished(task)) return
    if (change.ask !== undefined) Object.assign(task.pending, structuredClone(change.ask))
    if (change.statusMessage !== undefined) task.statusMessage = change.statusMessage
    task.updatedAt = Date.now()
  }

  async answer (ref: TaskRef, responses: Record<string, unknown>): Promise<string[] | undefined> {
    const task = this.#find(ref)
    if (task === undefined) return undefined
    if (!isUnfinished(task)) return []
    const taken = acceptAnswers(task, structuredClone(responses))
    if (taken.length > 0) task.updatedAt = Date.now()
    return taken
  }

  async take (ref: TaskRef): Promise<Record<string, unknown>> {
    const task = this.#find(ref)
    if (task === undefined) return {}
    const answers = task.answers
    task.answers = {}
    return answers
  }

  async finish (ref: TaskRef, end: TaskEnd): Promise<boolean> {
    const task = this.#find(ref)
    if (task === undefined || !isUnfinished(task)) return false
    applyEnd(task, structuredClone(end), Date.now())
    this.#inactive(task)
    return true
  }

  async heartbeat (node: string, leaseMs: number): Promise<void> {
    this.#leases.set(node, Date.now() + leaseMs)
  }

  async alive (node: string): Promise<boolean> {
    return (this.#leases.get(node) ?? 0) > Date.now()
  }

  async leave (node: string): Promise<void> {
    this.#leases.delete(node)
  }

  async orphans (limit: number): Promise<TaskRef[]> {
    this.#purge()
    const now = Date.now()
    const found: TaskRef[] = []
    for (const task of this.#tasks.values()) {
      if (found.length >= limit) break
      if (isUnfinished(task) && (this.#leases.get(task.node) ?? 0) <= now) found.push({ principal: task.principal, id: task.id })
    }
    return found
  }

  async signal (node: string, notice: TaskNotice): Promise<void> {
    for (const listener of this.#listeners.get(node) ?? []) listener({ ...notice })
  }

  async listen (node: string, listener: (notice: TaskNotice) => void): Promise<() => Promise<void>> {
    let listeners = this.#listeners.get(node)
    if (listeners === undefined) {
      listeners = new Set()
      this.#listeners.set(node, listeners)
    }
    listeners.add(listener)
    return async () => {
      listeners.delete(listener)
      if (listeners.size === 0 && this.#listeners.get(node) === listeners) this.#listeners.delete(node)
    }
  }

  async close (): Promise<void> {
    this.#listeners.clear()
  }

  #find ({ principal, id }: TaskRef): TaskRecord | undefined {
    const task = this.#tasks.get(id)
    if (task === undefined || task.principal !== principal) return undefined
    if (task.keepUntil <= Date.now()) {
      this.#forget(task)
      return undefined
    }
    return task
  }

  #forget (task: TaskRecord): void {
    this.#tasks.delete(task.id)
    this.#inactive(task)
  }

  #inactive (task: TaskRecord): void {
    const active = this.#active.get(task.principal)
    if (active === undefined) return
    active.delete(task.id)
    if (active.size === 0) this.#active.delete(task.principal)
  }

  /** Forgets what is past its `keepUntil`, at most once a second. */
  #purge (): void {
    const now = Date.now()
    if (now - this.#purgedAt < 1000) return
    this.#purgedAt = now
    for (const task of this.#tasks.values()) {
      if (task.keepUntil <= now) this.#forget(task)
    }
  }
}
