import { setTimeout as sleep } from 'node:timers/promises'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'
import type { Notes } from './notes.ts'

/** Where the board app lives: a `ui://` resource the host renders beside `show_notes` results. */
export const BOARD_URI = 'ui://notes/board.html'

/**
 * The board, an MCP App (`io.modelcontextprotocol/ui`): one self-contained HTML document (inline
 * script and style, no network, so the host's default content security policy fits it). It
 * greets its host over `postMessage` (`ui/initialize`, then `ui/notifications/initialized`), draws
 * the notes of each `ui/notifications/tool-result` it is sent, follows the host's theme, reports
 * its size, and, when the host lets apps call tools, refreshes itself with `show_notes`.
 */
export const BOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notes board</title>
<style>
  :root { color-scheme: light dark; }
  body { margin: 0; padding: 12px; font: 14px var(--font-sans, system-ui, sans-serif);
         color: var(--color-text-primary, CanvasText); background: var(--color-background-primary, Canvas); }
  ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); }
  li { border: 1px solid color-mix(in srgb, currentColor 20%, transparent); border-radius: 8px; padding: 8px; }
  h2 { font-size: 14px; margin: 0 0 4px; }
  .tags { opacity: 0.7; font-size: 12px; }
</style>
</head>
<body>
<ul id="notes"><li>Waiting for the notes…</li></ul>
<button id="refresh" hidden>Refresh</button>
<script>
(() => {
  const pending = new Map()
  let nextId = 1
  const post = (message) => window.parent.postMessage(message, '*')
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++
    pending.set(id, { resolve, reject })
    post({ jsonrpc: '2.0', id, method, params })
  })
  const notify = (method, params) => post({ jsonrpc: '2.0', method, params })
  const list = document.getElementById('notes')
  const refresh = document.getElementById('refresh')
  const show = (result) => {
    const notes = result && result.structuredContent && result.structuredContent.notes
    if (!Array.isArray(notes)) return
    list.replaceChildren(...notes.map((note) => {
      const item = document.createElement('li')
      const title = document.createElement('h2')
      title.textContent = note.title
      const body = document.createElement('div')
      body.textContent = note.body
      const tags = document.createElement('div')
      tags.className = 'tags'
      tags.textContent = note.tags.map((tag) => '#' + tag).join(' ')
      item.append(title, body, tags)
      return item
    }))
  }
  const theme = (context) => {
    if (context && context.theme) document.documentElement.style.colorScheme = context.theme
    const variables = (context && context.styles && context.styles.variables) || {}
    for (const [name, value] of Object.entries(variables)) if (value) document.documentElement.style.setProperty(name, value)
  }
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent) return
    const message = event.data
    if (!message || message.jsonrpc !== '2.0') return
    if (message.method === undefined) {
      const waiter = pending.get(message.id)
      if (!waiter) return
      pending.delete(message.id)
      if (message.error) waiter.reject(message.error)
      else waiter.resolve(message.result)
      return
    }
    if (message.method === 'ui/notifications/tool-result') show(message.params)
    else if (message.method === 'ui/notifications/host-context-changed') theme(message.params)
    else if (message.method === 'ui/resource-teardown' || message.method === 'ping') post({ jsonrpc: '2.0', id: message.id, result: {} })
    else if (message.id !== undefined) post({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } })
  })
  request('ui/initialize', { appInfo: { name: 'notes-board', version: '1.0.0' }, appCapabilities: {}, protocolVersion: '2026-01-26' }).then((init) => {
    theme(init && init.hostContext)
    notify('ui/notifications/initialized', {})
    if (init && init.hostCapabilities && init.hostCapabilities.serverTools) {
      refresh.hidden = false
      refresh.onclick = () => request('tools/call', { name: 'show_notes', arguments: {} }).then(show, () => {})
    }
    new ResizeObserver(() => {
      const { width, height } = document.documentElement.getBoundingClientRect()
      notify('ui/notifications/size-changed', { width: Math.ceil(width), height: Math.ceil(height) })
    }).observe(document.documentElement)
  }, () => { list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'No MCP Apps host' })) })
})()
</script>
</body>
</html>
`

const NoteSchema = Type.Object({ id: Type.String(), title: Type.String(), body: Type.String(), tags: Type.Array(Type.String()) })

/**
 * What the notes service adds for hosts that render MCP Apps, and for long work: the board app and
 * `show_notes`, which hosts show with it (others read its text); and `export_notes`, a task for
 * clients that declare the tasks extension (a direct answer for the others).
 */
export function declareBoard (mcp: McpServer, notes: Notes): void {
  mcp.appResource({
    uri: BOARD_URI,
    name: 'notes_board',
    title: 'Notes board',
    description: 'The notes as cards',
    html: BOARD_HTML,
    prefersBorder: true,
    // The same for everyone, and it only changes with a deployment.
    cache: { ttlMs: 3_600_000, scope: 'public' }
  })

  mcp.tool({
    name: 'show_notes',
    title: 'Show notes',
    description: 'Lists every note; hosts that render MCP Apps show them as a board',
    annotations: { readOnlyHint: true },
    outputSchema: Type.Object({ notes: Type.Array(NoteSchema) }),
    ui: { resourceUri: BOARD_URI },
    handler: () => {
      const all = notes.all().map(({ id, title, body, tags }) => ({ id, title, body, tags }))
      // A meaningful text too: a host without apps shows this.
      const text = all.length === 0 ? 'There are no notes.' : all.map((note) => `- ${note.title} (${note.tags.join(', ') || 'no tags'})`).join('\n')
      return { content: [{ type: 'text', text }], structuredContent: { notes: all } }
    }
  })

  mcp.tool({
    name: 'export_notes',
    title: 'Export notes',
    description: 'Exports every note as Markdown, one at a time (a task: poll it, or cancel it)',
    annotations: { readOnlyHint: true },
    inputSchema: Type.Object({ delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Pause per note, to watch progress' })) }),
    taskSupport: 'optional',
    handler: async ({ delayMs = 0 }, ctx) => {
      const all = notes.all()
      const parts: string[] = []
      for (const [index, note] of all.entries()) {
        await ctx.progress(index + 1, all.length, `Exported ${index + 1} of ${all.length} notes`)
        parts.push(`# ${note.title}\n\n${note.body}\n`)
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal })
      }
      return { content: [{ type: 'text', text: parts.join('\n') }] }
    }
  })
}
