import { createHash } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_DEFINITION, McpError } from './errors.ts'
import { inputKinds, type ClientCapabilities, type InputMethod, type InputRequest } from './schema/index.ts'
import { compile, type Validator } from './validation.ts'

/**
 * One run of a handler on 2026-07-28 traffic, where the server asks the client for input by
 * answering `input_required` (Multi Round-Trip Requests) rather than by sending it requests.
 *
 * The handler runs again on every retry. Each `ctx.elicit()`, `ctx.sample()` or
 * `ctx.listRoots()` it makes has a key (given, or counted in call order: `elicitation-1`,
 * `sampling-2`...), and returns at once when its answer is known: from this retry's
 * `inputResponses`, or from an earlier round, carried in the sealed `requestState`. The first
 * question without an answer ends the run (the handler's own result is then ignored), and the
 * client is sent every question asked in it. An answer counts only for the question it was
 * given to: the state remembers a digest of each question, so a handler that asks something
 * else under the same key asks again.
 */

/** What `requestState` carries from round to round (sealed, so the client can neither read nor change it). */
export const CarriedInputSchema = Type.Object({
  /** Answers of earlier rounds: key → digest of the question, and the answer. */
  a: Type.Record(Type.String(), Type.Object({ d: Type.String(), r: Type.Unknown() })),
  /** The questions of the last round: key → digest. */
  q: Type.Record(Type.String(), Type.String())
})
export type CarriedInput = Static<typeof CarriedInputSchema>

/** Thrown through the handler when it asked for input it does not have yet. */
export class InputRequiredSignal extends Error {
  constructor () {
    super('The client is asked for input')
    this.name = 'InputRequiredSignal'
  }
}

/** What answers each kind of question (also the tasks' questions, `task-run.ts`). */
export const answerValidators: ReadonlyMap<InputMethod, Validator> = new Map<InputMethod, Validator>(Object.entries(inputKinds).map(([method, kind]) => [method as InputMethod, compile(kind.result)]))

/** Short names for generated keys. */
export const KEY_PREFIX: Record<InputMethod, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots'
}

export class InputRound {
  readonly #responses: Record<string, unknown>
  readonly #carried: CarriedInput
  readonly #capabilities: ClientCapabilities
  readonly #asked = new Map<string, { request: InputRequest, digest: string }>()
  readonly #digests = new Map<string, string>()
  #count = 0
  #refusal: McpError | undefined

  constructor (responses: Record<string, unknown> | undefined, carried: CarriedInput | undefined, capabilities: ClientCapabilities) {
    this.#responses = responses ?? {}
    this.#carried = carried ?? { a: {}, q: {} }
    this.#capabilities = capabilities
  }

  /** True once the run asked something it has no answer for. */
  get pending (): boolean {
    return this.#asked.size > 0
  }

  /**
   * The -32021 of a question the request cannot be asked (a capability it did not declare):
   * it wins over the other questions of the run, which could not finish without it.
   */
  get refusal (): McpError | undefined {
    return this.#refusal
  }

  /**
   * The answer to `request` if the client gave it, else records the question and throws the
   * signal that ends the run. A capability the request did not declare is -32021.
   */
  ask<T> (request: InputRequest, key?: string): T {
    const { method } = request
    this.#count++
    const required = requiredCapability(request)
    if (!hasCapability(this.#capabilities, required)) {
      this.#refusal ??= new McpError(ErrorCode.MissingRequiredClientCapability,
        `Missing required client capability for ${method}: ${Object.keys(required).join(', ')}`, { requiredCapabilities: required })
      throw this.#refusal
    }
    const name = key ?? `${KEY_PREFIX[method]}-${this.#count}`
    const digest = digestOf(request)
    const seen = this.#digests.get(name)
    if (seen !== undefined && seen !== digest) {
      throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`two different questions under the input key "${name}" in one run`)
    }
    this.#digests.set(name, digest)
    const answered = this.#answer(name, digest, method)
    if (answered !== undefined) return answered as T
    this.#asked.set(name, { request, digest })
    throw new InputRequiredSignal()
  }

  /** The questions still open, and the state to carry to the retry. */
  questions (): { inputRequests: Record<string, InputRequest>, carry: CarriedInput } {
    const inputRequests: Record<string, InputRequest> = {}
    const q: Record<string, string> = {}
    for (const [key, { request, digest }] of this.#asked) {
      inputRequests[key] = request
      q[key] = digest
    }
    return { inputRequests, carry: { a: this.#carried.a, q } }
  }

  #answer (key: string, digest: string, method: InputMethod): unknown {
    const earlier = this.#carried.a[key]
    if (earlier?.d === digest) return earlier.r
    if (!(key in this.#responses)) return undefined
    // A response to a question this state did not ask under that key answers nothing: ask again.
    const askedAs = this.#carried.q[key]
    if (askedAs !== undefined && askedAs !== digest) return undefined
    const response = this.#responses[key]
    const validator = answerValidators.get(method)!
    if (!validator.check(response)) {
      throw new McpError(ErrorCode.InvalidParams, `inputResponses["${key}"] is not a ${method} result: ${validator.explain(response)}`)
    }
    this.#carried.a[key] = { d: digest, r: response }
    return response
  }
}

/** The client capability a question needs (a URL elicitation, sampling with tools: their sub-capability). */
export function requiredCapability ({ method, params }: InputRequest): ClientCapabilities {
  if (method === 'elicitation/create') return params?.mode === 'url' ? { elicitation: { url: {} } } : { elicitation: {} }
  if (method === 'sampling/createMessage') return params?.tools !== undefined ? { sampling: { tools: {} } } : { sampling: {} }
  return { roots: {} }
}

/** Whether `declared` has every capability (and sub-capability) of `required`. */
export function hasCapability (declared: ClientCapabilities, required: ClientCapabilities): boolean {
  for (const [name, sub] of Object.entries(required) as Array<[string, Record<string, unknown>]>) {
    const have = (declared as Record<string, Record<string, unknown> | undefined>)[name]
    if (have === undefined || have === null) return false
    for (const inner of Object.keys(sub)) {
      // Elicitation without sub-capabilities means form mode (2025-11-25).
      if (have[inner] === undefined) return false
    }
  }
  return true
}

function digestOf (request: InputRequest): string {
  return createHash('sha256').update(JSON.stringify([request.method, request.params ?? null])).digest('base64url').slice(0, 22)
}
