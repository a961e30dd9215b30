import { reportFailure } from './channels.ts'
import type { TaskBinding } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_DEFINITION, McpError } from './errors.ts'
import { answerValidators, hasCapability, KEY_PREFIX, requiredCapability } from './input-round.ts'
import type { ClientCapabilities, InputMethod, InputRequest } from './schema/index.ts'
import type { TaskRecord, TaskRef, TaskStore } from './task-store.ts'

/** Status messages written to the store at most this often per task; the latest one always. */
export const STATUS_WRITE_MS = 1000

/** A question the handler awaits. */
interface Parked {
  method: InputMethod
  resolve (answer: unknown): void
  reject (error: Error): void
}

/** Why a task was stopped before its handler finished: what its record says then. */
export type StopReason = 'cancelled' | 'expired' | 'shutdown'

/**
 * One task running on this node: the handler's promise lives here, and this is what its `ctx`
 * turns to once the call became a task. A question (`ctx.elicit()`...) is written to the
 * record's pending questions and parks the handler until a client's `tasks/update` (on any node)
 * stores the answer and this node takes it; `ctx.progress()` becomes the status message;
 * `ctx.signal` is aborted by `tasks/cancel`, the task's TTL and a shutdown.
 */
export class TaskRun implements TaskBinding {
  readonly ref: TaskRef
  readonly tool: string
  readonly createdAt: number
  /** When its TTL runs out: it is stopped and fails. */
  readonly expiresAt: number
  readonly #store: TaskStore
  readonly #capabilities: ClientCapabilities
  readonly #abort: (reason: Error) => void
  readonly #parked = new Map<string, Parked>()
  /** Every key asked over the task's life: a key answers one question, once. */
  readonly #used = new Set<string>()
  #count = 0
  /** Questions asked in this tick, written together. */
  #asking: Record<string, InputRequest> | undefined
  /** A status message not written yet (progress faster than `STATUS_WRITE_MS`). */
  #message: string | undefined
  #wroteAt = 0
  /** When this node last took the stored answers. */
  takenAt = 0
  #stopped: { reason: StopReason, error: McpError } | undefined

  constructor (record: TaskRecord, store: TaskStore, capabilities: ClientCapabilities, abort: (reason: Error) => void) {
    this.ref = { principal: record.principal, id: record.id }
    this.tool = record.tool
    this.createdAt = record.createdAt
    this.expiresAt = record.createdAt + record.ttlMs
    this.#store = store
    this.#capabilities = capabilities
    this.#abort = abort
  }

  get id (): string {
    return this.ref.id
  }

  /** Whether the handler waits on an answer. */
  get waiting (): boolean {
    return this.#parked.size > 0
  }

  /** Why it was stopped, if it was. */
  get stopped (): { reason: StopReason, error: McpError } | undefined {
    return this.#stopped
  }

  /** Asks the client, through the task's `inputRequests`; resolves with the answer. */
  ask<T> (request: InputRequest, key?: string): Promise<T> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped.error)
    const required = requiredCapability(request)
    // Asked only what the request that created the task said the client can answer.
    if (!hasCapability(this.#capabilities, required)) {
      return Promise.reject(new McpError(ErrorCode.MissingRequiredClientCapability,
        `Missing required client capability for ${request.method}: ${Object.keys(required).join(', ')}`, { requiredCapabilities: required }))
    }
    this.#count++
    const name = key ?? `${KEY_PREFIX[request.method]}-${this.#count}`
    if (this.#used.has(name)) {
      return Promise.reject(new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the input key "${name}" was asked twice in task of tool "${this.tool}": a key answers one question over a task's life`))
    }
    this.#used.add(name)
    return new Promise<T>((resolve, reject) => {
      this.#parked.set(name, { method: request.method, resolve: resolve as (answer: unknown) => void, reject })
      if (this.#asking === undefined) {
        this.#asking = {}
        // Questions asked together (Promise.all) are written together.
        queueMicrotask(() => this.#writeQuestions())
      }
      this.#asking[name] = request
    })
  }

  /** `ctx.progress()` of a task: its status message (written at most once a second). */
  async progress (progress: number, total?: number, message?: string): Promise<void> {
    if (this.#stopped !== undefined) return
    this.#message = message ?? (total === undefined ? String(progress) : `${progress}/${total}`)
    if (Date.now() - this.#wroteAt >= STATUS_WRITE_MS) await this.flush()
  }

  /** Writes the status message held back, if any. */
  async flush (): Promise<void> {
    const statusMessage = this.#message
    if (statusMessage === undefined) return
    this.#message = undefined
    this.#wroteAt = Date.now()
    await this.#store.update(this.ref, { statusMessage }).catch((error: unknown) => reportFailure('protocol', 'write a task\'s status message', error))
  }

  /** Whether a status message waits to be written. */
  get dirty (): boolean {
    return this.#message !== undefined
  }

  /** Takes the answers stored for this task and hands each to the question it answers. */
  async collect (): Promise<void> {
    if (this.#parked.size === 0) return
    this.takenAt = Date.now()
    const answers = await this.#store.take(this.ref)
    for (const [key, answer] of Object.entries(answers)) {
      const parked = this.#parked.get(key)
      if (parked === undefined) continue
      this.#parked.delete(key)
      // Checked where it was received; checked again, since it crossed a process boundary.
      const validator = answerValidators.get(parked.method)!
      if (validator.check(answer)) parked.resolve(answer)
      else parked.reject(new McpError(ErrorCode.InvalidParams, `inputResponses["${key}"] is not a ${parked.method} result: ${validator.explain(answer)}`))
    }
  }

  /** Stops the handler: its signal is aborted, its questions fail. */
  stop (reason: StopReason, error: McpError): void {
    if (this.#stopped !== undefined) return
    this.#stopped = { reason, error }
    this.#abort(error)
    for (const parked of this.#parked.values()) parked.reject(error)
    this.#parked.clear()
  }

  #writeQuestions (): void {
    const asking = this.#asking
    this.#asking = undefined
    if (asking === undefined || this.#stopped !== undefined) return
    this.#store.update(this.ref, { ask: asking }).catch((error: unknown) => {
      // A question no client can see would never be answered: the handler learns it failed.
      const failure = new McpError(ErrorCode.InternalError, 'The task\'s question could not be stored')
      reportFailure('protocol', 'store a task\'s question', error)
      for (const key of Object.keys(asking)) {
        this.#parked.get(key)?.reject(failure)
        this.#parked.delete(key)
      }
    })
  }
}
