// MCP Apps (io.modelcontextprotocol/ui) in the main example, read back by the official SDK
// clients as a host reads them: the extension in the capabilities, the tool's link to its app,
// the app's HTML with its MIME type and _meta.ui, and the text fallback of the tool's result.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BOARD_HTML, BOARD_URI, buildApp } from '@mcp-fastify/example-main'
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client'
import { connectStreamable, serve } from './helpers.ts'

const UI = 'io.modelcontextprotocol/ui'
const MIME = 'text/html;profile=mcp-app'

test('the notes board, as a 2025-11-25 host reads it (SDK v1): advertised, linked from show_notes, served as an MCP App', async (t) => {
  const served = await serve(t, await buildApp())
  const { client } = await connectStreamable(served)
  assert.deepEqual(client.getServerCapabilities()?.extensions, { [UI]: {} })

  const { tools } = await client.listTools()
  const tool = tools.find((listed) => listed.name === 'show_notes')
  assert.deepEqual(tool?._meta, { ui: { resourceUri: BOARD_URI }, 'ui/resourceUri': BOARD_URI })

  const { resources } = await client.listResources()
  const listed = resources.find((resource) => resource.uri === BOARD_URI)
  assert.deepEqual(listed, { uri: BOARD_URI, name: 'notes_board', title: 'Notes board', description: 'The notes as cards', mimeType: MIME, _meta: { ui: { prefersBorder: true } } })

  const { contents } = await client.readResource({ uri: BOARD_URI })
  assert.equal(contents.length, 1)
  assert.equal(contents[0]!.mimeType, MIME)
  assert.equal((contents[0] as { text?: string }).text, BOARD_HTML)
  assert.deepEqual(contents[0]!._meta, { ui: { prefersBorder: true } })
  // A whole HTML document that greets its host: what a host renders in its sandbox.
  assert.match(BOARD_HTML, /^<!doctype html>/)
  assert.match(BOARD_HTML, /'ui\/initialize'/)
  assert.doesNotMatch(BOARD_HTML, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: the default CSP allows no network')

  // Hosts without apps read the text; apps draw the structured notes.
  const result = await client.callTool({ name: 'show_notes', arguments: {} })
  assert.deepEqual(result.content, [{ type: 'text', text: '- Welcome (intro)\n- Groceries (home)' }])
  assert.deepEqual((result.structuredContent as { notes: Array<{ title: string }> }).notes.map((note) => note.title), ['Welcome', 'Groceries'])
})

test('the notes board, as a 2026-07-28 host reads it (SDK v2): advertised in server/discover, the same tool and resource', async (t) => {
  const served = await serve(t, await buildApp())
  const client = new ClientV2({ name: 'apps-host', version: '1.0.0' }, {
    capabilities: { extensions: { [UI]: { mimeTypes: [MIME] } } },
    versionNegotiation: { mode: { pin: '2026-07-28' } }
  })
  t.after(() => client.close())
  await client.connect(new TransportV2(served.url))
  assert.deepEqual(client.getServerCapabilities()?.extensions, { [UI]: {}, 'io.modelcontextprotocol/tasks': {} })
  const { tools } = await client.listTools()
  assert.deepEqual(tools.find((tool) => tool.name === 'show_notes')?._meta, { ui: { resourceUri: BOARD_URI }, 'ui/resourceUri': BOARD_URI })
  const { contents } = await client.readResource({ uri: BOARD_URI })
  assert.equal(contents[0]!.mimeType, MIME)
  assert.equal((contents[0] as { text?: string }).text, BOARD_HTML)
})
