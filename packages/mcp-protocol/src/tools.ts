import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { McpContext } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_DEFINITION, FST_MCP_PROTOCOL_INVALID_RESULT, McpError, UserError } from './errors.ts'
import { dropUndefined, Registry, requireFunction, type McpItemConfig, type Registration, type Visible } from './registry.ts'
import type { CallToolRequestParams, CallToolResult, ContentBlock, Icon, Meta, Tool, ToolAnnotations } from './schema/index.ts'
import type { ToolUi } from './apps.ts'
import { InputRequiredSignal } from './input-round.ts'
import { headerParamsOf, type HeaderParam } from './tool-headers.ts'
import { compile, type Validator } from './validation.ts'

/** A JSON Schema written by hand (a 2020-12 schema with `$defs`, say), for when TypeBox won't do. */
export interface JsonObjectSchema {
  type: 'object'
  [keyword: string]: unknown
}

/**
 * Whether a tool runs as a task (the tasks extension, `io.modelcontextprotocol/tasks`, 2026-07-28):
 * `forbidden` never; `optional` for clients that declare the extension (others get the result);
 * `required` always (a client that does not declare the extension gets -32021).
 */
export type TaskSupport = 'forbidden' | 'optional' | 'required'

/** How a tool's tasks run. */
export interface ToolTaskOptions {
  /**
   * When the call becomes a task: `call` (default), before the handler runs; `handler`, when the
   * handler calls `ctx.startTask()` (after questions it asks first, the usual way), so the task
   * starts with them answered. A handler that returns without calling it answers directly.
   */
  start?: 'call' | 'handler'
  /** How long a task is kept from its creation (the server's `tasks.ttlMs` by default); past it, it fails if unfinished. */
  ttlMs?: number
  /** How often clients should poll (the server's `tasks.pollIntervalMs` by default). */
  pollIntervalMs?: number
}

type ArgumentsOf<I> = I extends TSchema ? Static<I> : Record<string, unknown>
type StructuredOf<O> = O extends TSchema ? Static<O> : Record<string, unknown>

/** What a tool handler returns; with an `outputSchema`, `content` may be left to the engine. */
export type ToolResult<O = undefined> = O extends undefined
  ? CallToolResult
  : Omit<CallToolResult, 'content' | 'structuredContent'> & { content?: ContentBlock[], structuredContent?: StructuredOf<O> }

export interface ToolDefinition<I extends TSchema | JsonObjectSchema = TSchema, O extends TSchema | JsonObjectSchema | undefined = undefined> {
  /** Unique, `[A-Za-z0-9_.-]{1,128}` (2025-11-25, tools: "Tool names"). */
  name: string
  title?: string
  description?: string
  /** The arguments, as a TypeBox object schema (or a JSON Schema object); none by default. */
  inputSchema?: I
  /** The shape of `structuredContent`; checked on every result. */
  outputSchema?: O
  annotations?: ToolAnnotations
  icons?: Icon[]
  _meta?: Meta
  /** What plugins read (mcp-oauth: `scopes`); never sent to clients. */
  config?: McpItemConfig
  /** Whether it runs as a task (tasks extension); `forbidden` by default. The handler is the same either way. */
  taskSupport?: TaskSupport
  /** How its tasks run (`taskSupport` other than `forbidden`). */
  task?: ToolTaskOptions
  /** MCP Apps: the `ui://` app resource hosts show its results with (declared first with `appResource()`). */
  ui?: ToolUi
  handler (args: ArgumentsOf<I>, ctx: McpContext): ToolResult<O> | Promise<ToolResult<O>>
}

type AnyToolDefinition = ToolDefinition<TSchema | JsonObjectSchema, TSchema | JsonObjectSchema | undefined>

/** Any tool's result, before the engine checks it. */
type UncheckedToolResult = Omit<CallToolResult, 'content' | 'structuredContent'> & { content?: ContentBlock[], structuredContent?: unknown }

interface ToolEntry {
  definition: AnyToolDefinition
  input: Validator
  output: Validator | undefined
  /** Parameters mirrored in `Mcp-Param-*` headers (2026-07-28 `x-mcp-header`). */
  headers: readonly HeaderParam[]
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/
const NO_ARGUMENTS = Type.Object({})

export class Tools {
  readonly #registry: Registry<ToolEntry, Tool>
  readonly #report: (error: unknown, ctx: McpContext) => void

  /** `report` hears what tool handlers throw (other than `McpError` and `UserError`). */
  constructor (changed: () => void, report: (error: unknown, ctx: McpContext) => void) {
    this.#registry = new Registry('tool', describe, (entry) => entry.definition.config, changed)
    this.#report = report
  }

  get size (): number {
    return this.#registry.size
  }

  add (definition: AnyToolDefinition): Registration {
    const { name, inputSchema = NO_ARGUMENTS, outputSchema } = definition
    if (!TOOL_NAME.test(name)) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`tool name "${name}" must match ${TOOL_NAME}`)
    }
    requireFunction(definition.handler, `tool "${name}"`, 'handler')
    checkTaskOptions(name, definition.taskSupport, definition.task)
    for (const [which, schema] of [['inputSchema', inputSchema], ['outputSchema', outputSchema]] as const) {
      if (schema !== undefined && (schema as { type?: unknown }).type !== 'object') {
        throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the ${which} of tool "${name}" must be an object schema`)
      }
    }
    return this.#registry.add(name, {
      // What clients see is plain JSON Schema: TypeBox's symbol-keyed markers stay out of it.
      definition: { ...definition, inputSchema: toJsonSchema(inputSchema), outputSchema: outputSchema && toJsonSchema(outputSchema) },
      input: compile(inputSchema),
      output: outputSchema === undefined ? undefined : compile(outputSchema),
      headers: headerParamsOf(name, inputSchema)
    })
  }

  list (visible?: Visible): readonly Tool[] {
    return this.#registry.listing(visible)
  }

  configOf (name: string): McpItemConfig | undefined {
    return this.#registry.configOf(name)
  }

  headerParams (name: string): readonly HeaderParam[] {
    return this.#registry.get(name)?.headers ?? []
  }

  /** How tool `name` runs as a task, if it may and the client may see it. */
  taskOf (name: string, visible?: Visible): { support: 'optional' | 'required', options: ToolTaskOptions } | undefined {
    const definition = this.#registry.get(name, visible)?.definition
    const support = definition?.taskSupport ?? 'forbidden'
    return support === 'forbidden' ? undefined : { support, options: definition!.task ?? {} }
  }

  /** Whether some tool may run as a task (the tasks extension is then advertised). */
  get hasTasks (): boolean {
    for (const { definition } of this.#registry.values()) {
      if ((definition.taskSupport ?? 'forbidden') !== 'forbidden') return true
    }
    return false
  }

  /**
   * `tools/call`. An unknown tool is a protocol error (and so is an `McpError` the handler
   * throws); arguments that do not fit the schema, and a `UserError`, are tool errors the model
   * can read (2025-11-25, tools: "Error Handling"). Anything else the handler throws is reported
   * and becomes a tool error that says nothing of it: its message may hold secrets.
   */
  async call (params: CallToolRequestParams, ctx: McpContext, visible?: Visible): Promise<CallToolResult> {
    const entry = this.#registry.get(params.name, visible)
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`)
    const args = params.arguments ?? {}
    if (!entry.input.check(args)) {
      return toolError(`Invalid arguments for tool ${params.name}: ${entry.input.explain(args)}`)
    }
    let result: UncheckedToolResult
    try {
      result = await entry.definition.handler(args as never, ctx) as UncheckedToolResult
    } catch (error) {
      // Asking the client for input (2026-07-28) ends the run: the engine answers input_required.
      // A cancelled call (or task) ends as such: what its aborted work threw is no failure to report.
      if (error instanceof McpError || error instanceof InputRequiredSignal || ctx.cancelled) throw error
      if (error instanceof UserError) return toolError(error.message)
      this.#report(error, ctx)
      return toolError(`Tool ${params.name} failed with an internal error`)
    }
    return this.#checkOutput(entry, result)
  }

  /** Checks `structuredContent` against the output schema; the engine checks the rest of the result. */
  #checkOutput (entry: ToolEntry, result: UncheckedToolResult): CallToolResult {
    const { output } = entry
    if (output === undefined || typeof result !== 'object' || result === null || result.isError === true) return result as CallToolResult
    const { structuredContent } = result
    if (!output.check(structuredContent)) {
      throw new FST_MCP_PROTOCOL_INVALID_RESULT(`tool "${entry.definition.name}"`, `/structuredContent${output.explain(structuredContent)}`)
    }
    // Tools with structured output SHOULD also return it serialized as text (tools: "Structured Content").
    return result.content === undefined
      ? { ...result, content: [{ type: 'text', text: JSON.stringify(structuredContent) }] } as CallToolResult
      : result as CallToolResult
  }
}

const TASK_SUPPORT = new Set(['forbidden', 'optional', 'required'])

function checkTaskOptions (name: string, support: unknown, options: ToolTaskOptions | undefined): void {
  if (support !== undefined && !TASK_SUPPORT.has(support as string)) {
    throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`the taskSupport of tool "${name}" must be 'forbidden', 'optional' or 'required'`)
  }
  if (options === undefined) return
  if (options.start !== undefined && options.start !== 'call' && options.start !== 'handler') {
    throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`task.start of tool "${name}" must be 'call' or 'handler'`)
  }
  for (const key of ['ttlMs', 'pollIntervalMs'] as const) {
    const value = options[key]
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`task.${key} of tool "${name}" must be a positive integer`)
    }
  }
}

function toJsonSchema<S extends object> (schema: S): S {
  return JSON.parse(JSON.stringify(schema)) as S
}

function toolError (text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true }
}

function describe ({ definition }: ToolEntry): Tool {
  const { name, title, description, inputSchema, outputSchema, annotations, icons, _meta, taskSupport } = definition
  // 2025-11-25 lists `execution.taskSupport` (absent: forbidden); other revisions drop it (revisions.ts).
  const execution = taskSupport === undefined || taskSupport === 'forbidden' ? undefined : { taskSupport }
  return dropUndefined({ name, title, description, inputSchema, outputSchema, annotations, icons, execution, _meta }) as Tool
}
