import { reportFailure } from './channels.ts'
import type { McpContext } from './context.ts'
import { ErrorCode, McpError } from './errors.ts'
import { answerValidators } from './input-round.ts'
import type { TaskRequestParams } from './schema/index.ts'
import { isUnfinished, type TaskRecord, type TaskRef } from './task-store.ts'

/**
 * The experimental tasks of 2025-11-25 (SEP-1686), served from the same store and the same runs
 * as the tasks extension: only the views and the methods differ. A client asks for a task with
 * `params.task` on `tools/call` and gets `{ task }`; `tasks/get` shows the task (`ttl`,
 * `pollInterval`; a tool error is `failed` here); `tasks/result` blocks until the task ended and
 * answers exactly what the call would have, meanwhile relaying the task's questions to the client
 * as requests on its own stream (the revision's way of asking: `input_required` tells the client
 * to call it); `tasks/cancel` answers the cancelled task, and -32602 for one that had ended.
 */

/** `_meta` key tying a result or a request to its task (2025-11-25). */
export const RELATED_TASK = 'io.modelcontextprotocol/related-task'

/** What the engine lends the 2025-11-25 methods. */
export interface TaskAccess {
  /** The task as its principal reads it (settled first when it cannot go on), or -32602. */
  read (ref: TaskRef): Promise<TaskRecord | undefined>
  /** Stores answers to its open questions and tells the node running it. */
  deliver (task: TaskRecord, responses: Record<string, unknown>): Promise<void>
  /** Cancels an unfinished task and stops its handler; false when it had ended meanwhile. */
  cancel (task: TaskRecord): Promise<boolean>
}

const NOT_FOUND = 'Failed to retrieve task: Task not found'

/** The 2025-11-25 `Task`. */
export function legacyTaskView (task: TaskRecord): Record<string, unknown> {
  const waiting = isUnfinished(task) && Object.keys(task.pending).length > 0
  // 2025-11-25: for tool calls, `failed` includes a result with `isError`.
  const status = waiting ? 'input_required' : task.status === 'completed' && task.result?.isError === true ? 'failed' : task.status
  const view: Record<string, unknown> = { taskId: task.id, status }
  if (task.statusMessage !== undefined) view.statusMessage = task.statusMessage
  view.createdAt = new Date(task.createdAt).toISOString()
  view.lastUpdatedAt = new Date(task.updatedAt).toISOString()
  view.ttl = task.ttlMs
  view.pollInterval = task.pollIntervalMs
  return view
}

export class LegacyTasks {
  readonly #tasks: TaskAccess

  constructor (tasks: TaskAccess) {
    this.#tasks = tasks
  }

  async get (ref: TaskRef): Promise<Record<string, unknown>> {
    return legacyTaskView(await this.#find(ref))
  }

  /** Cancels an unfinished task (it is `cancelled` before the answer); -32602 for one that ended. */
  async cancel (ref: TaskRef): Promise<Record<string, unknown>> {
    const task = await this.#find(ref)
    if (!isUnfinished(task) || !await this.#tasks.cancel(task)) {
      throw new McpError(ErrorCode.InvalidParams, `Task ${ref.id} has already ended and cannot be cancelled`)
    }
    return legacyTaskView(await this.#find(ref))
  }

  /**
   * Waits for the task to end (polling the store at its poll interval, so it works on any node),
   * relaying its questions to the client meanwhile; then answers what the call would have.
   */
  async result (ref: TaskRef, params: TaskRequestParams, ctx: McpContext): Promise<Record<string, unknown>> {
    const relayed = new Set<string>()
    for (;;) {
      const task = await this.#find(ref)
      if (!isUnfinished(task)) return outcome(task)
      for (const [key, question] of Object.entries(task.pending)) {
        if (relayed.has(key)) continue
        relayed.add(key)
        this.#relay(task, key, question, ctx).catch((error: unknown) => {
          // Not asked, or not answered (the client cancelled tasks/result): it may be asked again.
          relayed.delete(key)
          if (!ctx.cancelled) reportFailure('protocol', 'relay a task\'s question to the client', error)
        })
      }
      await pause(Math.min(task.pollIntervalMs, 1000), ctx.signal)
    }
  }

  async #relay (task: TaskRecord, key: string, question: TaskRecord['pending'][string], ctx: McpContext): Promise<void> {
    const meta = { [RELATED_TASK]: { taskId: task.id } }
    const params = question.params === undefined ? { _meta: meta } : { ...question.params, _meta: { ...question.params._meta as object | undefined, ...meta } }
    const answer = await ctx.sendRequest(question.method, params, answerValidators.get(question.method)!)
    await this.#tasks.deliver(task, { [key]: answer })
  }

  async #find (ref: TaskRef): Promise<TaskRecord> {
    const task = await this.#tasks.read(ref)
    if (task === undefined) throw new McpError(ErrorCode.InvalidParams, NOT_FOUND)
    return task
  }
}

/** What `tasks/result` answers for an ended task: the call's result, or its error. */
function outcome (task: TaskRecord): Record<string, unknown> {
  if (task.status === 'completed' && task.result !== undefined) {
    return { ...task.result, _meta: { ...task.result._meta as object | undefined, [RELATED_TASK]: { taskId: task.id } } }
  }
  if (task.status === 'failed' && task.error !== undefined) throw new McpError(task.error.code, task.error.message, task.error.data)
  throw new McpError(ErrorCode.InternalError, task.statusMessage ?? 'The task was cancelled', { reason: 'cancelled' })
}

function pause (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
