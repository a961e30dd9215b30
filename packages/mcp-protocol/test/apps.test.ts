import assert from 'node:assert/strict'
import { test } from 'node:test'
import { APP_MIME_TYPE, clientSupportsApps, type ClientCapabilities, type ProtocolVersion } from '../src/index.ts'
import { call, makeSession, resultOf, send, server } from './helpers.ts'

const UI = 'io.modelcontextprotocol/ui'
const HTML = '<!doctype html><html><body><p id="time"></p></body></html>'

const modern = (capabilities: ClientCapabilities = {}) => makeSession({ id: undefined, protocolVersion: '2026-07-28', clientCapabilities: capabilities })

function withClock () {
  const mcp = server()
  mcp.appResource({
    uri: 'ui://clock/app.html',
    name: 'clock_app',
    title: 'Clock',
    html: HTML,
    csp: { connectDomains: ['https://api.example.com'] },
    prefersBorder: true
  })
  mcp.tool({
    name: 'get_time',
    description: 'The time',
    ui: { resourceUri: 'ui://clock/app.html' },
    _meta: { 'example/kept': true },
    handler: (_args, ctx) => ({
      content: [{ type: 'text', text: clientSupportsApps(ctx) ? 'shown in the app' : 'The time is now' }],
      structuredContent: { time: 'now' }
    })
  })
  return mcp
}

test('an app resource is listed and read with its MIME type and _meta.ui, on the listing and the content', async () => {
  const mcp = withClock()
  const ui = { csp: { connectDomains: ['https://api.example.com'] }, prefersBorder: true }
  const listed = await call(mcp, 'resources/list', {}, modern())
  assert.deepEqual(listed.resources, [{ uri: 'ui://clock/app.html', name: 'clock_app', title: 'Clock', mimeType: APP_MIME_TYPE, _meta: { ui } }])
  const read = await call(mcp, 'resources/read', { uri: 'ui://clock/app.html' }, modern())
  assert.deepEqual(read.contents, [{ uri: 'ui://clock/app.html', mimeType: 'text/html;profile=mcp-app', text: HTML, _meta: { ui } }])
})

test('a tool links its app with _meta.ui.resourceUri and the older flat key, beside its own _meta', async () => {
  const mcp = withClock()
  const { tools } = await call(mcp, 'tools/list', {}, modern())
  assert.deepEqual((tools as Array<{ _meta?: unknown }>)[0]!._meta, {
    'example/kept': true,
    ui: { resourceUri: 'ui://clock/app.html' },
    'ui/resourceUri': 'ui://clock/app.html'
  })
  // The text fallback, tailored to hosts that render apps.
  const plain = await call(mcp, 'tools/call', { name: 'get_time', arguments: {} }, modern())
  assert.deepEqual(plain.content, [{ type: 'text', text: 'The time is now' }])
  const host = await call(mcp, 'tools/call', { name: 'get_time', arguments: {} }, modern({ extensions: { [UI]: { mimeTypes: [APP_MIME_TYPE] } } }))
  assert.deepEqual(host.content, [{ type: 'text', text: 'shown in the app' }])
})

test('the ui extension is advertised in server/discover and in initialize from 2025-06-18, once an app is declared', async () => {
  const bare = server()
  bare.tool({ name: 'x', description: 'x', handler: () => ({ content: [] }) })
  assert.equal((resultOf(await send(bare, 'server/discover', {}, modern())).capabilities as { extensions?: unknown }).extensions, undefined)
  const mcp = withClock()
  const discovered = resultOf(await send(mcp, 'server/discover', {}, modern()))
  assert.deepEqual((discovered.capabilities as { extensions?: unknown }).extensions, { [UI]: {} })
  const initialize = async (protocolVersion: ProtocolVersion) => (resultOf(await send(mcp, 'initialize', {
    protocolVersion, capabilities: {}, clientInfo: { name: 'c', version: '1' }
  }, makeSession({ protocolVersion }))).capabilities as { extensions?: unknown }).extensions
  assert.deepEqual(await initialize('2025-11-25'), { [UI]: {} })
  assert.deepEqual(await initialize('2025-06-18'), { [UI]: {} })
  assert.equal(await initialize('2025-03-26'), undefined)
})

test('app declarations are checked: ui:// URIs, links to declared apps, visibility', () => {
  const mcp = withClock()
  const handler = () => ({ content: [] })
  assert.throws(() => mcp.appResource({ uri: 'https://example.com/app.html', name: 'web', html: HTML }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.appResource({ uri: 'ui://x', name: 'no html' } as never), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.tool({ name: 'a', ui: { resourceUri: 'ui://missing/app.html' }, handler }), /not declared/)
  assert.throws(() => mcp.tool({ name: 'b', ui: { resourceUri: 'ui://clock/app.html', visibility: ['robot' as 'app'] }, handler }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  mcp.tool({ name: 'c', ui: { resourceUri: 'ui://clock/app.html', visibility: ['app'] }, handler })
})

test('an app resource built per read, and taken back', async () => {
  const mcp = server()
  let reads = 0
  const app = mcp.appResource({ uri: 'ui://counter/app.html', name: 'counter', html: () => `<!doctype html><p>${++reads}</p>` })
  const read = await call(mcp, 'resources/read', { uri: 'ui://counter/app.html' }, modern())
  assert.equal((read.contents as Array<{ text: string }>)[0]!.text, '<!doctype html><p>1</p>')
  app.remove()
  assert.equal((resultOf(await send(mcp, 'server/discover', {}, modern())).capabilities as { extensions?: unknown }).extensions, undefined)
})
