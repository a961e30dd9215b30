import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpMetrics from '@mcp-fastify/mcp-metrics'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { declareBoard } from './board.ts'
import { Notes } from './notes.ts'

export { BOARD_HTML, BOARD_URI, declareBoard } from './board.ts'

const NoteSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String(),
  tags: Type.Array(Type.String()),
  updatedAt: Type.String({ format: 'date-time' })
})

/** The notes domain as MCP tools, resources and prompts. */
export function declareNotes (mcp: McpServer, notes: Notes): void {
  mcp.tool({
    name: 'create_note',
    title: 'Create a note',
    description: 'Creates a note and returns it',
    inputSchema: Type.Object({
      title: Type.String({ minLength: 1, description: 'Short title' }),
      body: Type.String({ description: 'The note itself, in Markdown' }),
      tags: Type.Optional(Type.Array(Type.String(), { description: 'Labels to find the note by' }))
    }),
    outputSchema: NoteSchema,
    handler: ({ title, body, tags }) => {
      const note = notes.add(title, body, tags)
      mcp.resourceUpdated(`notes://${note.id}`)
      return { structuredContent: note }
    }
  })

  mcp.tool({
    name: 'search_notes',
    title: 'Search notes',
    description: 'Finds notes whose title, body or tags contain the query; reports progress',
    annotations: { readOnlyHint: true },
    inputSchema: Type.Object({ query: Type.String({ description: 'Text to look for' }) }),
    handler: async ({ query }, ctx) => {
      const all = notes.all()
      const found = []
      for (const [index, note] of all.entries()) {
        if (ctx.signal.aborted) break
        if (`${note.title} ${note.body} ${note.tags.join(' ')}`.toLowerCase().includes(query.toLowerCase())) found.push(note)
        await ctx.progress(index + 1, all.length, `Searched ${index + 1} of ${all.length} notes`)
      }
      await ctx.log('info', { query, matches: found.length }, 'search')
      return {
        content: found.length === 0
          ? [{ type: 'text', text: `No note matches "${query}".` }]
          : found.map((note) => ({ type: 'resource_link', uri: `notes://${note.id}`, name: note.title, mimeType: 'text/markdown' }))
      }
    }
  })

  mcp.tool({
    name: 'summarize_note',
    title: 'Summarize a note',
    description: "Asks the client's model for a one-sentence summary of a note (sampling)",
    annotations: { readOnlyHint: true, openWorldHint: true },
    inputSchema: Type.Object({ id: Type.String({ description: 'The note id' }) }),
    handler: async ({ id }, ctx) => {
      const note = notes.get(id)
      if (note === undefined) return { content: [{ type: 'text', text: `There is no note ${id}.` }], isError: true }
      const answer = await ctx.sample({
        messages: [{ role: 'user', content: { type: 'text', text: `Summarize in one sentence:\n\n${note.body}` } }],
        maxTokens: 200
      })
      const text = 'text' in answer.content ? String(answer.content.text) : ''
      return { content: [{ type: 'text', text }] }
    }
  })

  mcp.resourceTemplate({
    uriTemplate: 'notes://{id}',
    name: 'note',
    title: 'A note',
    description: 'One note, as Markdown',
    mimeType: 'text/markdown',
    list: () => notes.all().map((note) => ({ uri: `notes://${note.id}`, name: note.title, mimeType: 'text/markdown' })),
    complete: { id: (value) => notes.all().map((note) => note.id).filter((id) => id.startsWith(value)) },
    read: (uri, { id = '' }) => {
      const note = notes.get(id)
      return { contents: note === undefined ? [] : [{ uri, mimeType: 'text/markdown', text: `# ${note.title}\n\n${note.body}` }] }
    }
  })

  mcp.resource({
    uri: 'notes://tags',
    name: 'tags',
    title: 'All tags',
    mimeType: 'application/json',
    read: (uri) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(notes.tags()) }] })
  })

  mcp.prompt({
    name: 'review_note',
    title: 'Review a note',
    description: 'Asks the model to review a note for clarity',
    arguments: Type.Object({
      id: Type.String({ description: 'The note to review' }),
      tone: Type.Optional(Type.String({ description: 'friendly or strict' }))
    }),
    complete: {
      id: (value) => notes.all().map((note) => note.id).filter((id) => id.startsWith(value)),
      tone: (value) => ['friendly', 'strict'].filter((tone) => tone.startsWith(value))
    },
    get: ({ id, tone = 'friendly' }) => {
      const note = notes.get(id)
      return {
        description: `Review of note ${id}`,
        messages: [{
          role: 'user',
          content: { type: 'text', text: `Review this note in a ${tone} tone:\n\n${note?.body ?? '(missing note)'}` }
        }]
      }
    }
  })
}

export interface MainAppOptions {
  fastify?: FastifyServerOptions
  /** A Redis URL: sessions live there, so several processes serve them as one cluster. */
  redis?: string
}

/** The example app: one MCP endpoint at /mcp with sessions, serving a notes service. */
export async function buildApp (options: MainAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options.fastify)
  // Prometheus exposition at /metrics (grafana-dashboard.json reads it), OpenTelemetry spans when an
  // SDK is set up, /health and /ready.
  await app.register(mcpMetrics, { defaultMetrics: true })
  await app.register(mcpSession, options.redis === undefined ? {} : { redis: options.redis })
  await app.register(mcpTransport, {
    path: '/mcp',
    serverInfo: { name: 'notes', version: '1.0.0', title: 'Notes' },
    instructions: 'Use search_notes to find notes, create_note to add one; notes are resources at notes://{id}.'
  })
  const notes = new Notes()
  notes.add('Welcome', 'This server speaks MCP over Streamable HTTP, on Fastify.', ['intro'])
  notes.add('Groceries', 'Milk, eggs, coffee.', ['home'])
  declareNotes(app.mcp, notes)
  // An MCP App (the board, for show_notes) and a tool that runs as a task (export_notes).
  declareBoard(app.mcp, notes)
  app.get('/', async () => ({ name: 'notes', mcp: '/mcp' }))
  return app
}
