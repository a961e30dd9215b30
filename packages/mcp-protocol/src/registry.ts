import { FST_MCP_PROTOCOL_DUPLICATE, FST_MCP_PROTOCOL_INVALID_DEFINITION } from './errors.ts'

/** A registration, returned by `tool()`, `resource()`, `prompt()`: `remove()` takes it back. */
export interface Registration {
  remove (): void
}

/**
 * What plugins attach to a tool, resource, template or prompt, in its `config` (mcp-oauth: the
 * scopes it needs). Empty here; plugins augment it with `declare module`.
 */
export interface McpItemConfig {}

export type McpItemKind = 'tool' | 'resource' | 'resourceTemplate' | 'prompt'

/** Whether the client of the request at hand may see and use an entry. */
export type Visible = (key: string, config: McpItemConfig | undefined) => boolean

/**
 * Named entries of one kind (tools, prompts, resources), in registration order, with the
 * listing clients see cached until the next change. `changed` runs on every add and remove,
 * so the server can send `notifications/<kind>/list_changed`.
 */
export class Registry<Entry, Listed> {
  readonly #kind: string
  readonly #entries = new Map<string, Entry>()
  readonly #describe: (entry: Entry) => Listed
  readonly #configOf: (entry: Entry) => McpItemConfig | undefined
  readonly #changed: () => void
  #listing: Array<{ key: string, config: McpItemConfig | undefined, listed: Listed }> | undefined
  #all: Listed[] | undefined

  constructor (kind: string, describe: (entry: Entry) => Listed, configOf: (entry: Entry) => McpItemConfig | undefined, changed: () => void) {
    this.#kind = kind
    this.#describe = describe
    this.#configOf = configOf
    this.#changed = changed
  }

  get size (): number {
    return this.#entries.size
  }

  /** The entry under `key`, if there is one the client may see. */
  get (key: string, visible?: Visible): Entry | undefined {
    const entry = this.#entries.get(key)
    return entry === undefined || visible === undefined || visible(key, this.#configOf(entry)) ? entry : undefined
  }

  /** The entries the client may see, in registration order. */
  * values (visible?: Visible): IterableIterator<Entry> {
    for (const [key, entry] of this.#entries) {
      if (visible === undefined || visible(key, this.#configOf(entry))) yield entry
    }
  }

  configOf (key: string): McpItemConfig | undefined {
    const entry = this.#entries.get(key)
    return entry === undefined ? undefined : this.#configOf(entry)
  }

  add (key: string, entry: Entry): Registration {
    if (this.#entries.has(key)) throw new FST_MCP_PROTOCOL_DUPLICATE(this.#kind, key)
    this.#entries.set(key, entry)
    this.#update()
    return {
      remove: () => {
        if (this.#entries.get(key) !== entry) return
        this.#entries.delete(key)
        this.#update()
      }
    }
  }

  /** What `*\/list` shows (to a client that may see only some), described once per change. */
  listing (visible?: Visible): readonly Listed[] {
    this.#listing ??= Array.from(this.#entries, ([key, entry]) => ({ key, config: this.#configOf(entry), listed: this.#describe(entry) }))
    this.#all ??= this.#listing.map(({ listed }) => listed)
    if (visible === undefined) return this.#all
    return this.#listing.filter(({ key, config }) => visible(key, config)).map(({ listed }) => listed)
  }

  #update (): void {
    this.#listing = undefined
    this.#all = undefined
    this.#changed()
  }
}

/** A copy of `object` without its `undefined` members, for what goes on the wire. */
export function dropUndefined<T extends object> (object: T): Partial<T> {
  const copy: Partial<T> = {}
  for (const key in object) {
    if (object[key] !== undefined) copy[key] = object[key]
  }
  return copy
}

/** A definition's callback must be a function: without one, registration fails, not the first call. */
export function requireFunction (value: unknown, what: string, member: string): void {
  if (typeof value !== 'function') throw new FST_MCP_PROTOCOL_INVALID_DEFINITION(`${what} needs a ${member} function`)
}
