import { FST_MCP_PROTOCOL_DUPLICATE } from './errors.ts'

/** A registration, returned by `tool()`, `resource()`, `prompt()`: `remove()` takes it back. */
export interface Registration {
  remove (): void
}

/**
 * Named entries of one kind (tools, prompts, resources), in registration order, with the
 * listing clients see cached until the next change. `changed` runs on every add and remove,
 * so the server can send `notifications/<kind>/list_changed`.
 */
export class Registry<Entry, Listed> {
  readonly #kind: string
  readonly #entries = new Map<string, Entry>()
  readonly #describe: (entry: Entry) => Listed
  readonly #changed: () => void
  #listing: Listed[] | undefined

  constructor (kind: string, describe: (entry: Entry) => Listed, changed: () => void) {
    this.#kind = kind
    this.#describe = describe
    this.#changed = changed
  }

  get size (): number {
    return this.#entries.size
  }

  get (key: string): Entry | undefined {
    return this.#entries.get(key)
  }

  values (): IterableIterator<Entry> {
    return this.#entries.values()
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

  /** What `*\/list` shows, built once per change. */
  listing (): readonly Listed[] {
    this.#listing ??= Array.from(this.#entries.values(), this.#describe)
    return this.#listing
  }

  #update (): void {
    this.#listing = undefined
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
