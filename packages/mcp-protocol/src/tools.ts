import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { McpContext } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_DEFINITION, FST_MCP_PROTOCOL_INVALID_RESULT, McpError, UserError } from './errors.ts'
import { dropUndefined, Registry, requireFunction, type McpItemConfig, type Registration, type Visible } from './registry.ts'
import type { CallToolRequestParams, CallToolResult, ContentBlock, Icon, Meta, Tool, ToolAnnotations } from './schema/index.ts'
import { InputRequiredSignal } from './input-round.ts'
import { headerParamsOf, type HeaderParam } from './tool-headers.ts'
import { compile, type Validator } from './validation.ts'

/** A JSON Schema written by hand (a 2020-12 schema with `$defs`, say), for when TypeBox won't do. */
export interface JsonObjectSchema {
  type: 'object'
  [keyword: string]: unknown
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
      if (error instanceof McpError || error instanceof InputRequiredSignal) throw error
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

function toJsonSchema<S extends object> (schema: S): S {
  return JSON.parse(JSON.stringify(schema)) as S
}

function toolError (text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true }
}

function describe ({ definition }: ToolEntry): Tool {
  const { name, title, description, inputSchema, outputSchema, annotations, icons, _meta } = definition
  return dropUndefined({ name, title, description, inputSchema, outputSchema, annotations, icons, _meta }) as Tool
}
