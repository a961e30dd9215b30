import { randomBytes } from 'node:crypto'
import { reportFailure, taskChannel, taskEndedChannel, type McpTaskEvent, type TaskEndedEvent } from './channels.ts'
import type { McpContext } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_DEFINITION, FST_MCP_PROTOCOL_INVALID_RESULT, McpError } from './errors.ts'
import { answerValidators } from './input-round.ts'
import type { Visible } from './registry.ts'
import { EXTENSIONS, type CallToolRequestParams, type TaskRequestParams, type TaskStatus, type UpdateTaskRequestParams } from './schema/index.ts'
import type { ClientSession } from './session.ts'
import { isUnfinished, MemoryTaskStore, type TaskEnd, type TaskNotice, type TaskRecord, type TaskRef, type TaskStore } from './task-store.ts'
import { LegacyTasks, legacyTaskView } from './task-legacy.ts'
import { TaskRun, type StopReason } from './task-run.ts'
import type { Tools } from './tools.ts'
import type { Validator } from './validation.ts'
import { versionFeatures } from './versions.ts'

/**
 * The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663, 2026-07-28): a `tools/call` of
 * a tool that supports tasks, from a client that declares the extension, is answered with a
 * task (`resultType: 'task'`) once its record is stored; the handler goes on on this node (the
 * same handler as for a direct answer: `TaskRun` is what its `ctx` turns to), and any node that
 * shares the store answers `tasks/get`, `tasks/update` and `tasks/cancel`, reaching this one
 * through the store's signals. A task is its creator's alone: another principal's id is "not
 * found", exactly like an unknown one.
 *
 * A node holds a lease in the store while it runs tasks. A task whose node's lease ran out (the
 * node was killed, or lost the store) is failed by whichever node notices: reading it, or
 * sweeping now and then. A task past its TTL is stopped by its node, or failed by any reader.
 */

export interface TaskOptions {
  /** Where tasks are kept: this process's memory by default; mcp-session's Redis store for a cluster. */
  store?: TaskStore
  /** How long a task is kept from its creation, unless its tool says otherwise (default 1 hour); an unfinished one then fails. */
  ttlMs?: number
  /** How often clients should poll `tasks/get` (default 1000 ms). */
  pollIntervalMs?: number
  /** Unfinished tasks one principal may have (default 100); past it an `optional` tool answers directly, a `required` one fails (-32603). */
  maxPerPrincipal?: number
  /** How long a node's lease lasts without renewal (default 15 000 ms, renewed every third of it): the longest a dead node's task looks alive. */
  leaseMs?: number
  /** How often a node looks for tasks of dead nodes nobody reads (default 30 000 ms). */
  sweepIntervalMs?: number
}

type TaskSettings = Required<Omit<TaskOptions, 'store'>>

/** A `tools/call` that may become a task, and how. */
export interface TaskPlan {
  /** `extension` (2026-07-28, SEP-2663) or `experimental` (2025-11-25, SEP-1686): which views the client gets. */
  kind: 'extension' | 'experimental'
  tool: string
  support: 'optional' | 'required'
  start: 'call' | 'handler'
  ttlMs: number
  pollIntervalMs: number
}

/** How often running tasks are looked after (TTL, status messages, answers, lease, sweep). */
const TICK_MS = 1000
/** A waiting task takes its answers at least this often, by itself (a signal may be lost). */
const COLLECT_MS = 5000
/** Records are kept this long past their TTL, so a task its TTL stopped is read as failed, not unknown. */
const EXPIRED_KEEP_MS = 60_000
/** Other nodes leave an expiring task to the node running it this long. */
const EXPIRY_SLACK_MS = 2000
/** How long a node's liveness, once read, is believed. */
const ALIVE_CACHE_MS = 1000
const SWEEP_BATCH = 100
/** How often, and how far apart, the end of a task is tried while the store does not answer. */
const FINISH_TRIES = [0, 1000, 2000, 4000]

const NOT_FOUND = 'Failed to retrieve task: Task not found'
/** Ids are 22 characters; a store keeps them up to 64. */
const MAX_ID_LENGTH = 64

/** The `CreateTaskResult`s the engine built: trusted, and not a tool's result. */
const created = new WeakSet<object>()

/** Whether `result` is a task the engine created (not a result to check against the method's schema). */
export function isCreatedTask (result: unknown): boolean {
  return typeof result === 'object' && result !== null && created.has(result)
}

/** Whether the request declares the tasks extension (per request: nothing earlier counts). */
export function declaresTasks (session: ClientSession): boolean {
  return session.clientCapabilities.extensions?.[EXTENSIONS.tasks] !== undefined
}

/** -32021: the request must declare the tasks extension. */
export function missingExtension (): McpError {
  return new McpError(ErrorCode.MissingRequiredClientCapability,
    `Missing required client capability: the ${EXTENSIONS.tasks} extension`,
    { requiredCapabilities: { extensions: { [EXTENSIONS.tasks]: {} } } })
}

function failure (message: string, reason: string): McpError {
  return new McpError(ErrorCode.InternalError, message, { reason })
}

const STOPS: Record<StopReason, () => McpError> = {
  cancelled: () => failure('Cancelled by the client', 'cancelled'),
  expired: () => failure('The task ran past its time to live (ttlMs) and was stopped', 'expired'),
  shutdown: () => failure('The server node running this task shut down before it finished', 'shutdown')
}

const NODE_GONE = 'The server node running this task stopped before it finished; the task did not complete'

function failedEnd (error: McpError, statusMessage = `Tool execution failed: ${error.message}`): TaskEnd {
  const { code, message, data } = error
  return { status: 'failed', error: data === undefined ? { code, message } : { code, message, data }, statusMessage }
}

function stopEnd (reason: StopReason, error: McpError): TaskEnd {
  return reason === 'cancelled' ? { status: 'cancelled', statusMessage: error.message } : failedEnd(error, error.message)
}

/** What a 2026-07-28 client sees of a task (`tasks/get`, and the flat `CreateTaskResult`). */
export function taskView (task: TaskRecord): Record<string, unknown> {
  const status: TaskStatus = isUnfinished(task) && Object.keys(task.pending).length > 0 ? 'input_required' : task.status
  const view: Record<string, unknown> = { taskId: task.id, status }
  if (task.statusMessage !== undefined) view.statusMessage = task.statusMessage
  view.createdAt = new Date(task.createdAt).toISOString()
  view.lastUpdatedAt = new Date(task.updatedAt).toISOString()
  view.ttlMs = task.ttlMs
  view.pollIntervalMs = task.pollIntervalMs
  if (status === 'input_required') view.inputRequests = task.pending
  // Exactly what the call would have returned: a tool error (`isError`) is a completed task.
  if (status === 'completed') view.result = { resultType: 'complete', ...task.result }
  if (status === 'failed' && task.error !== undefined) view.error = task.error
  return view
}

interface Running {
  run: TaskRun
  ctx: McpContext
  done: Promise<void>
}

export class Tasks {
  /** This node, as the store knows it: random per server instance (a restarted process is a new node). */
  readonly node = randomBytes(9).toString('base64url')
  readonly #tools: Tools
  readonly #report: (error: unknown, ctx: McpContext) => void
  readonly #settings: TaskSettings
  #store: TaskStore
  /** The store was given in the options: a session plugin's does not replace it. */
  readonly #given: boolean
  readonly #running = new Map<string, Running>()
  readonly #alive = new Map<string, { alive: boolean, at: number }>()
  #started: Promise<void> | undefined
  #unlisten: (() => Promise<void>) | undefined
  #timer: NodeJS.Timeout | undefined
  #beatAt = 0
  #sweptAt = 0
  #closing = false
  readonly #legacy = new LegacyTasks({
    read: (ref) => this.#read(ref),
    deliver: (task, responses) => this.#deliver(task, responses),
    cancel: (task) => this.#cancelTask(task)
  })

  constructor (tools: Tools, options: TaskOptions, report: (error: unknown, ctx: McpContext) => void) {
    this.#tools = tools
    this.#report = report
    this.#store = options.store ?? new MemoryTaskStore()
    this.#given = options.store !== undefined
    for (const key of ['ttlMs', 'pollIntervalMs', 'maxPerPrincipal', 'leaseMs', 'sweepIntervalMs'] as const) {
      const value = options[key]
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`tasks.${key} must be a positive integer (got ${String(value)})`)
      }
    }
    this.#settings = {
      ttlMs: options.ttlMs ?? 3_600_000,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      maxPerPrincipal: options.maxPerPrincipal ?? 100,
      leaseMs: options.leaseMs ?? 15_000,
      sweepIntervalMs: options.sweepIntervalMs ?? 30_000
    }
  }

  /** The store tasks are kept in. */
  get store (): TaskStore {
    return this.#store
  }

  /** Tasks running on this node. */
  get running (): number {
    return this.#running.size
  }

  /**
   * Keeps tasks in `store` instead (a session plugin's shared store), unless the options named
   * one; before any task is served.
   */
  useStore (store: TaskStore): void {
    if (this.#given) return
    if (this.#started !== undefined) throw new FST_MCP_PROTOCOL_INVALID_DEFINITION('the task store cannot change once tasks were served')
    this.#store = store
  }

  /**
   * Whether a `tools/call` involves tasks: `undefined` (it does not: answered directly), the
   * refusal of a `required` tool called without asking for a task (2026-07-28: -32021 without
   * the extension; 2025-11-25: -32601 without `params.task`), or how it becomes a task.
   */
  plan (params: CallToolRequestParams, session: ClientSession, visible?: Visible): TaskPlan | McpError | undefined {
    const kind = versionFeatures(session.protocolVersion).tasks
    if (kind === 'none') return undefined
    const task = this.#tools.taskOf(params.name, visible)
    if (task === undefined) return undefined
    const { start = 'call', ttlMs = this.#settings.ttlMs, pollIntervalMs = this.#settings.pollIntervalMs } = task.options
    const plan: TaskPlan = { kind, tool: params.name, support: task.support, start, ttlMs, pollIntervalMs }
    if (kind === 'extension') {
      if (!declaresTasks(session)) return task.support === 'required' ? missingExtension() : undefined
      // The extension's client sends no hint: the server decides (a 2025 `task` param is ignored).
      return plan
    }
    const asked = (params as { task?: unknown }).task
    if (typeof asked !== 'object' || asked === null) {
      return task.support === 'required' ? new McpError(ErrorCode.MethodNotFound, `Tool ${params.name} runs as a task only: call it with params.task`) : undefined
    }
    // 2025-11-25: the client may ask for a shorter life (`task.ttl`), never a longer one.
    const ttl = (asked as { ttl?: unknown }).ttl
    if (Number.isSafeInteger(ttl) && (ttl as number) > 0) plan.ttlMs = Math.min(plan.ttlMs, ttl as number)
    return plan
  }

  /**
   * Runs a `tools/call` that may become a task (`run` calls the handler). Resolves to the
   * handler's result when it answers directly, or to the `CreateTaskResult` (see
   * `isCreatedTask`) once the task is stored; the handler then goes on here, its end stored.
   */
  async call (plan: TaskPlan, ctx: McpContext, run: () => Promise<object>, validator: Validator | undefined): Promise<object> {
    if (plan.start === 'call') {
      const task = await this.#create(plan, ctx)
      if (task === undefined) return run()
      this.#launch(task.run, ctx, run(), validator)
      return task.result
    }
    let task: { run: TaskRun, result: object } | undefined
    let announce!: () => void
    const started = new Promise<void>((resolve) => { announce = resolve })
    let starting: Promise<void> | undefined
    // Once: a second startTask() (even a concurrent one) waits for the first.
    ctx.allowTask(() => (starting ??= this.#create(plan, ctx).then((made) => {
      task = made
      if (made !== undefined) announce()
    })))
    const running = Promise.resolve().then(run)
    const first = await Promise.race([running.then((result) => ({ result }), (error: unknown) => ({ error })), started])
    if (task === undefined) {
      if (first !== undefined && 'error' in first) throw first.error
      return first!.result
    }
    this.#launch(task.run, ctx, running, validator)
    return task.result
  }

  /** `tasks/get`: the task, if the client's principal created it. */
  async get (params: TaskRequestParams, ctx: McpContext): Promise<Record<string, unknown>> {
    if (this.#kind(ctx) === 'experimental') return this.#legacy.get(this.#ref(params.taskId, ctx))
    const task = await this.#read(this.#ref(params.taskId, ctx))
    if (task === undefined) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    return taskView(task)
  }

  /** `tasks/update`: answers to pending questions (others are ignored); the node running it is told. */
  async update (params: UpdateTaskRequestParams, ctx: McpContext): Promise<Record<string, unknown>> {
    // 2025-11-25 clients answer the requests `tasks/result` relays: there is no tasks/update.
    if (this.#kind(ctx) !== 'extension') throw new McpError(ErrorCode.MethodNotFound, 'Method not found: tasks/update')
    const ref = this.#ref(params.taskId, ctx)
    const task = await this.#read(ref)
    if (task === undefined) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    if (!isUnfinished(task)) return {}
    const responses: Record<string, unknown> = {}
    for (const [key, response] of Object.entries(params.inputResponses)) {
      const question = task.pending[key]
      if (question === undefined) continue
      const validator = answerValidators.get(question.method)!
      if (!validator.check(response)) {
        throw new McpError(ErrorCode.InvalidParams, `inputResponses["${key}"] is not a ${question.method} result: ${validator.explain(response)}`)
      }
      responses[key] = response
    }
    if (Object.keys(responses).length > 0) await this.#deliver(task, responses)
    return {}
  }

  /**
   * `tasks/cancel`: an unfinished task is cancelled at once, and its handler stopped; a finished
   * one is left as it is (2025-11-25: the cancelled task is the answer, -32602 for an ended one).
   */
  async cancel (params: TaskRequestParams, ctx: McpContext): Promise<Record<string, unknown>> {
    const ref = this.#ref(params.taskId, ctx)
    if (this.#kind(ctx) === 'experimental') return this.#legacy.cancel(ref)
    const task = await this.#read(ref)
    if (task === undefined) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    if (isUnfinished(task)) await this.#cancelTask(task)
    return {}
  }

  /** `tasks/result` (2025-11-25 only; removed by the extension): what the call answered, once it did. */
  async result (params: TaskRequestParams, ctx: McpContext): Promise<Record<string, unknown>> {
    if (this.#kind(ctx) !== 'experimental') throw new McpError(ErrorCode.MethodNotFound, 'Method not found: tasks/result')
    return this.#legacy.result(this.#ref(params.taskId, ctx), params, ctx)
  }

  /** Stores answers to pending questions (the next read, on any node, no longer lists them) and tells the running node. */
  async #deliver (task: TaskRecord, responses: Record<string, unknown>): Promise<void> {
    const taken = await this.#store.answer({ principal: task.principal, id: task.id }, responses)
    if (taken === undefined) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    if (taken.length > 0) this.#tell(task.node, { id: task.id, kind: 'input' })
  }

  /** Cancels an unfinished task at once and stops its handler wherever it runs; false when it had ended. */
  async #cancelTask (task: TaskRecord): Promise<boolean> {
    if (!await this.#store.finish({ principal: task.principal, id: task.id }, stopEnd('cancelled', STOPS.cancelled()))) return false
    this.#tell(task.node, { id: task.id, kind: 'cancel' })
    return true
  }

  /** Which tasks the client's revision has: -32601 for one without any. */
  #kind (ctx: McpContext): 'extension' | 'experimental' {
    const kind = versionFeatures(ctx.session.protocolVersion).tasks
    // 2026-07-28 answers -32601 already while no tool supports tasks (the extension is not advertised).
    if (kind === 'none' || !this.#tools.hasTasks) throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${ctx.method}`)
    return kind
  }

  /**
   * A shutdown: running tasks get `timeoutMs` to finish, then are stopped and failed (saying the
   * node shut down); the node's lease ends. New calls meanwhile are answered directly (`optional`)
   * or refused (`required`).
   */
  async shutdown (timeoutMs: number): Promise<void> {
    this.#closing = true
    await settledWithin([...this.#running.values()].map((entry) => entry.done), timeoutMs)
    for (const { run } of this.#running.values()) this.#stop(run, 'shutdown')
    await settledWithin([...this.#running.values()].map((entry) => entry.done), 1000)
    if (this.#started !== undefined) await this.#store.leave(this.node).catch((error: unknown) => reportFailure('protocol', 'end a node\'s task lease', error))
    this.close()
  }

  /** Stops the timer and the signals (tasks still running are stopped, without waiting). */
  close (): void {
    this.#closing = true
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const { run } of this.#running.values()) this.#stop(run, 'shutdown')
    const unlisten = this.#unlisten
    this.#unlisten = undefined
    unlisten?.().catch((error: unknown) => reportFailure('protocol', 'stop listening for task signals', error))
  }

  async #create (plan: TaskPlan, ctx: McpContext): Promise<{ run: TaskRun, result: object } | undefined> {
    const limited = (message: string, reason: string): undefined => {
      // An optional tool can always answer directly; a required one cannot run at all.
      if (plan.support === 'optional') return undefined
      throw failure(message, reason)
    }
    if (this.#closing) return limited('The server is shutting down: try again', 'shutdown')
    await this.#start()
    if (Date.now() - this.#beatAt >= this.#settings.leaseMs / 3) await this.#beat()
    const now = Date.now()
    const record: TaskRecord = {
      id: randomBytes(16).toString('base64url'),
      principal: ctx.session.principal ?? null,
      tool: plan.tool,
      node: this.node,
      createdAt: now,
      updatedAt: now,
      ttlMs: plan.ttlMs,
      pollIntervalMs: plan.pollIntervalMs,
      keepUntil: now + plan.ttlMs + EXPIRED_KEEP_MS,
      status: 'working',
      pending: {},
      answers: {}
    }
    const max = this.#settings.maxPerPrincipal
    if (!await this.#store.create(record, max)) {
      return limited(`Too many unfinished tasks (at most ${max} per client): try again once some have ended`, 'task_limit')
    }
    const run = new TaskRun(record, this.#store, ctx.session.clientCapabilities, (reason) => ctx.abortTask(reason))
    ctx.becomeTask(run)
    const result = plan.kind === 'extension' ? { resultType: 'task', ...taskView(record) } : { task: legacyTaskView(record) }
    created.add(result)
    return { run, result }
  }

  /** The handler goes on as a task; its end is stored, and told to observers. */
  #launch (run: TaskRun, ctx: McpContext, running: Promise<object>, validator: Validator | undefined): void {
    const event: McpTaskEvent = { taskId: run.id, tool: run.tool, meta: ctx.meta as Record<string, unknown> | undefined, extra: ctx.extra }
    const entry: Running = { run, ctx, done: Promise.resolve() }
    this.#running.set(run.id, entry)
    const settle = async (): Promise<void> => {
      let end: TaskEnd
      try {
        end = this.#completed(run, ctx, await running, validator)
      } catch (error) {
        end = run.stopped === undefined ? this.#failed(ctx, error) : stopEnd(run.stopped.reason, run.stopped.error)
      }
      const stopped = run.stopped
      if (stopped !== undefined) end = stopEnd(stopped.reason, stopped.error)
      event.status = end.status
      event.errorType = errorTypeOf(end, stopped?.reason)
      try {
        await this.#finish(run.ref, end)
      } finally {
        this.#running.delete(run.id)
      }
    }
    entry.done = (taskChannel.hasSubscribers ? taskChannel.tracePromise(settle, event) : settle())
      .catch((error: unknown) => reportFailure('protocol', 'store the end of a task', error))
  }

  #completed (run: TaskRun, ctx: McpContext, result: object, validator: Validator | undefined): TaskEnd {
    if (validator !== undefined && !validator.check(result)) {
      this.#report(new FST_MCP_PROTOCOL_INVALID_RESULT(`tool "${run.tool}"`, validator.explain(result)), ctx)
      return failedEnd(new McpError(ErrorCode.InternalError, 'Internal error'))
    }
    return { status: 'completed', result: result as Record<string, unknown> }
  }

  #failed (ctx: McpContext, error: unknown): TaskEnd {
    if (error instanceof McpError) return failedEnd(error)
    // What a tool handler throws is a tool error already: here only what the engine refused.
    this.#report(error, ctx)
    return failedEnd(new McpError(ErrorCode.InternalError, 'Internal error'))
  }

  /** Stores the end of a task, trying again a few times while the store does not answer. */
  async #finish (ref: TaskRef, end: TaskEnd): Promise<boolean> {
    let last: unknown
    for (const wait of FINISH_TRIES) {
      // Kept alive: a shutdown must not exit before the end of a task is stored (7 s at most).
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      try {
        return await this.#store.finish(ref, end)
      } catch (error) {
        last = error
      }
    }
    throw last
  }

  /** Stops a running task: its record says why (at once), its handler is aborted. */
  #stop (run: TaskRun, reason: StopReason): void {
    if (run.stopped !== undefined) return
    const error = STOPS[reason]()
    run.stop(reason, error)
    if (reason !== 'cancelled') {
      this.#finish(run.ref, stopEnd(reason, error)).catch((failed: unknown) => reportFailure('protocol', 'store the end of a task', failed))
    }
  }

  /**
   * A task as its principal reads it, settled first if it cannot go on: past its TTL, or its node
   * gone (no lease; or this node, which does not run it: it restarted).
   */
  async #read (ref: TaskRef): Promise<TaskRecord | undefined> {
    await this.#start()
    const task = await this.#store.get(ref)
    if (task === undefined || !isUnfinished(task)) return task
    let ended: TaskEndedEvent['errorType'] | undefined
    if (Date.now() >= task.createdAt + task.ttlMs + EXPIRY_SLACK_MS) ended = 'expired'
    else if (task.node === this.node ? !this.#running.has(task.id) : !await this.#isAlive(task.node)) ended = 'node_gone'
    if (ended === undefined) return task
    await this.#end(task, ended)
    return this.#store.get(ref)
  }

  /** Fails a task nothing runs any more, and tells observers. */
  async #end (task: TaskRecord, errorType: TaskEndedEvent['errorType']): Promise<void> {
    const end = errorType === 'expired' ? stopEnd('expired', STOPS.expired()) : failedEnd(failure(NODE_GONE, 'node_gone'), NODE_GONE)
    if (!await this.#store.finish({ principal: task.principal, id: task.id }, end)) return
    if (taskEndedChannel.hasSubscribers) {
      taskEndedChannel.publish({ taskId: task.id, tool: task.tool, status: 'failed', errorType } satisfies TaskEndedEvent)
    }
  }

  async #isAlive (node: string, fresh = false): Promise<boolean> {
    const now = Date.now()
    const known = this.#alive.get(node)
    if (!fresh && known !== undefined && now - known.at < ALIVE_CACHE_MS) return known.alive
    const alive = await this.#store.alive(node)
    if (this.#alive.size > 1000) this.#alive.clear()
    this.#alive.set(node, { alive, at: now })
    return alive
  }

  #ref (id: string, ctx: McpContext): TaskRef {
    if (this.#kind(ctx) === 'extension' && !declaresTasks(ctx.session)) throw missingExtension()
    // Longer than any id this engine makes: unknown, without asking the store.
    if (id.length > MAX_ID_LENGTH) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    return { principal: ctx.session.principal ?? null, id }
  }

  /** Tells the node running a task (here: at once; elsewhere: through the store's signals). */
  #tell (node: string, notice: TaskNotice): void {
    if (node === this.node) {
      this.#hear(notice)
      return
    }
    // At most once: the node also takes its answers by itself every few seconds.
    this.#store.signal(node, notice).catch((error: unknown) => reportFailure('protocol', 'signal the node running a task', error))
  }

  #hear (notice: TaskNotice): void {
    const entry = this.#running.get(notice.id)
    if (entry === undefined) return
    if (notice.kind === 'cancel') entry.run.stop('cancelled', STOPS.cancelled())
    else entry.run.collect().catch((error: unknown) => reportFailure('protocol', 'take the answers of a task', error))
  }

  /** Listens for this node's signals and starts the timer, once (and again after a failure). */
  #start (): Promise<void> {
    this.#started ??= this.#store.listen(this.node, (notice) => this.#hear(notice)).then((unlisten) => {
      this.#unlisten = unlisten
      if (this.#closing) {
        this.close()
        return
      }
      this.#timer ??= setInterval(() => this.#tick(), TICK_MS).unref()
    }, (error: unknown) => {
      this.#started = undefined
      throw error
    })
    return this.#started
  }

  async #beat (): Promise<void> {
    this.#beatAt = Date.now()
    await this.#store.heartbeat(this.node, this.#settings.leaseMs)
  }

  #tick (): void {
    const now = Date.now()
    for (const { run } of this.#running.values()) {
      if (run.stopped !== undefined) continue
      if (now >= run.expiresAt) {
        this.#stop(run, 'expired')
        continue
      }
      if (run.dirty) run.flush().catch((error: unknown) => reportFailure('protocol', 'write a task\'s status message', error))
      if (run.waiting && now - run.takenAt >= COLLECT_MS) run.collect().catch((error: unknown) => reportFailure('protocol', 'take the answers of a task', error))
    }
    if (this.#running.size > 0 && now - this.#beatAt >= this.#settings.leaseMs / 3) {
      this.#beat().catch((error: unknown) => reportFailure('protocol', 'renew a node\'s task lease', error))
    }
    if (now - this.#sweptAt >= this.#settings.sweepIntervalMs) {
      this.#sweptAt = now
      this.#sweep().catch((error: unknown) => reportFailure('protocol', 'sweep the tasks of dead nodes', error))
    }
  }

  /** Fails the unfinished tasks of nodes whose lease ran out, which nobody may read. */
  async #sweep (): Promise<void> {
    for (const ref of await this.#store.orphans(SWEEP_BATCH)) {
      if (this.#running.has(ref.id)) continue
      const task = await this.#store.get(ref)
      if (task === undefined || !isUnfinished(task)) continue
      if (task.node !== this.node && await this.#isAlive(task.node, true)) continue
      await this.#end(task, 'node_gone')
    }
  }
}

function errorTypeOf (end: TaskEnd, stopped: StopReason | undefined): string | undefined {
  if (stopped === 'expired' || stopped === 'shutdown') return stopped
  if (end.status === 'failed') return String(end.error.code)
  if (end.status === 'completed' && end.result.isError === true) return 'tool_error'
  return undefined
}

async function settledWithin (promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  if (promises.length === 0) return
  let timer: NodeJS.Timeout | undefined
  // Not unref()ed: a shutdown waits for it (and it is cleared as soon as the promises settle).
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}
