import type { Static, TObject, TString, TOptional } from '@sinclair/typebox'
import type { McpContext } from './context.ts'
import type { Completer } from './completion.ts'
import { ErrorCode, McpError } from './errors.ts'
import { dropUndefined, Registry, requireFunction, type McpItemConfig, type Registration, type Visible } from './registry.ts'
import type { GetPromptRequestParams, GetPromptResult, Icon, Meta, Prompt, PromptArgument } from './schema/index.ts'
import { compile, type Validator } from './validation.ts'

/** Prompt arguments are strings: a TypeBox object of `Type.String()`, optional ones wrapped in `Type.Optional`. */
export type PromptArguments = TObject<Record<string, TString | TOptional<TString>>>

export interface PromptDefinition<A extends PromptArguments = PromptArguments> {
  name: string
  title?: string
  description?: string
  /** The arguments; each property's `description` is shown to the client. */
  arguments?: A
  /** Completers for the arguments. */
  complete?: { [K in keyof Static<A>]?: Completer }
  icons?: Icon[]
  _meta?: Meta
  /** What plugins read (mcp-oauth: `scopes`); never sent to clients. */
  config?: McpItemConfig
  get (args: Static<A>, ctx: McpContext): GetPromptResult | Promise<GetPromptResult>
}

interface PromptEntry {
  definition: PromptDefinition
  check: Validator | undefined
}

export class Prompts {
  readonly #registry: Registry<PromptEntry, Prompt>

  constructor (changed: () => void) {
    this.#registry = new Registry('prompt', describe, (entry) => entry.definition.config, changed)
  }

  get size (): number {
    return this.#registry.size
  }

  add (definition: PromptDefinition): Registration {
    requireFunction(definition.get, `prompt "${definition.name}"`, 'get')
    const check = definition.arguments === undefined ? undefined : compile(definition.arguments)
    return this.#registry.add(definition.name, { definition, check })
  }

  list (visible?: Visible): readonly Prompt[] {
    return this.#registry.listing(visible)
  }

  configOf (name: string): McpItemConfig | undefined {
    return this.#registry.configOf(name)
  }

  async get (params: GetPromptRequestParams, ctx: McpContext, visible?: Visible): Promise<GetPromptResult> {
    const { definition, check } = this.#find(params.name, visible)
    const args = params.arguments ?? {}
    if (check !== undefined && !check.check(args)) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for prompt ${params.name}: ${check.explain(args)}`)
    }
    return definition.get(args, ctx)
  }

  completer (name: string, argument: string, visible?: Visible): Completer | undefined {
    return (this.#find(name, visible).definition.complete as Record<string, Completer> | undefined)?.[argument]
  }

  #find (name: string, visible: Visible | undefined): PromptEntry {
    const entry = this.#registry.get(name, visible)
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`)
    return entry
  }
}

function describe ({ definition }: PromptEntry): Prompt {
  const { name, title, description, icons, _meta } = definition
  const schema = definition.arguments
  const required = new Set(schema?.required ?? [])
  const args: PromptArgument[] | undefined = schema === undefined
    ? undefined
    : Object.entries(schema.properties).map(([argument, property]) => dropUndefined({
      name: argument,
      title: property.title,
      description: property.description,
      required: required.has(argument)
    }) as PromptArgument)
  return dropUndefined({ name, title, description, arguments: args, icons, _meta }) as Prompt
}
