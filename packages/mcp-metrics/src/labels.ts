import type { McpRequestEvent } from '@mcp-fastify/mcp-protocol'

/** The value the OpenTelemetry conventions give what an instrumentation does not name. */
export const OTHER = '_OTHER'

const METHOD_NOT_FOUND = -32601
const INVALID_PARAMS = -32602

/**
 * Tool and prompt names as label values, kept bounded. The name in a request is the client's:
 * a name becomes a label value once a request for it got past the engine's lookup (anything but
 * an invalid-params error, which is what an unknown tool or prompt gets), and at most `max`
 * names are kept; any other is counted as `_OTHER`. Registered names are bounded by the app,
 * so in practice every real tool keeps its name.
 */
export class NameLabels {
  readonly #names = new Set<string>()
  readonly #max: number

  constructor (max: number) {
    this.#max = max
  }

  /** The label value of a name that the server answered (`known`: it is not unknown there). */
  of (name: string, known: boolean): string {
    if (this.#names.has(name)) return name
    if (!known || this.#names.size >= this.#max) return OTHER
    this.#names.add(name)
    return name
  }
}

/** Label values of one finished request: `mcp_method_name`, `gen_ai_tool_name`, `gen_ai_prompt_name`. */
// A type, not an interface: prom-client takes label objects as records.
export type TargetLabels = {
  mcp_method_name: string
  gen_ai_tool_name?: string
  gen_ai_prompt_name?: string
}

/** A label set and the key that names it: built once per method and name, then reused. */
export interface Target {
  key: string
  labels: TargetLabels
}

/** `error.type` by the conventions: the JSON-RPC code, `tool_error`, or ours: `cancelled`. */
export function errorTypeOf (event: McpRequestEvent): string | undefined {
  switch (event.outcome) {
    case 'error': return String(event.errorCode ?? OTHER)
    case 'tool_error': return 'tool_error'
    case 'cancelled': return 'cancelled'
    default: return undefined
  }
}

/** Builds the target labels of finished requests, bounding what the client chose. */
export class Labeller {
  readonly #tools: NameLabels
  readonly #prompts: NameLabels
  /** Bounded: methods are the engine's (others are `_OTHER`), names are bounded above. */
  readonly #targets = new Map<string, Target>()
  /** The targets of `tools/call` by tool name, for names that are their own label value. */
  readonly #toolTargets = new Map<string, Target>()

  constructor (maxNames: number) {
    this.#tools = new NameLabels(maxNames)
    this.#prompts = new NameLabels(maxNames)
  }

  targetOf (event: McpRequestEvent): Target {
    const { method, target } = event
    // An unknown method is the client's string: one series for all of them.
    if (event.errorCode === METHOD_NOT_FOUND) return this.#target(OTHER, '', '')
    const known = event.errorCode !== INVALID_PARAMS
    if (method === 'tools/call' && target !== undefined) {
      const cached = this.#toolTargets.get(target)
      if (cached !== undefined) return cached
      const label = this.#tools.of(target, known)
      const found = this.#target(method, label, '')
      if (label === target) this.#toolTargets.set(target, found)
      return found
    }
    if (method === 'prompts/get' && target !== undefined) return this.#target(method, '', this.#prompts.of(target, known))
    return this.#target(method, '', '')
  }

  /** The label value of a tool another plugin names (a rate limit): ours, so taken as known. */
  tool (name: string | undefined): string {
    return name === undefined ? '' : this.#tools.of(name, true)
  }

  #target (method: string, tool: string, prompt: string): Target {
    const key = tool !== '' ? `${method}\u0000t${tool}` : prompt !== '' ? `${method}\u0000p${prompt}` : method
    let found = this.#targets.get(key)
    if (found === undefined) {
      const labels: TargetLabels = { mcp_method_name: method }
      if (tool !== '') labels.gen_ai_tool_name = tool
      if (prompt !== '') labels.gen_ai_prompt_name = prompt
      found = { key, labels }
      this.#targets.set(key, found)
    }
    return found
  }
}
