/** A tiny in-memory notes service: the domain the example exposes over MCP. */
export interface Note {
  id: string
  title: string
  body: string
  tags: string[]
  updatedAt: string
}

export class Notes {
  readonly #notes = new Map<string, Note>()
  #next = 1

  add (title: string, body: string, tags: string[] = []): Note {
    const note: Note = { id: String(this.#next++), title, body, tags, updatedAt: new Date().toISOString() }
    this.#notes.set(note.id, note)
    return note
  }

  get (id: string): Note | undefined {
    return this.#notes.get(id)
  }

  update (id: string, body: string): Note | undefined {
    const note = this.#notes.get(id)
    if (note === undefined) return undefined
    note.body = body
    note.updatedAt = new Date().toISOString()
    return note
  }

  all (): Note[] {
    return [...this.#notes.values()]
  }

  search (query: string): Note[] {
    const needle = query.toLowerCase()
    return this.all().filter((note) => `${note.title} ${note.body} ${note.tags.join(' ')}`.toLowerCase().includes(needle))
  }

  tags (): string[] {
    return [...new Set(this.all().flatMap((note) => note.tags))].sort()
  }
}
