// The main example's MCP App (the notes board) rendered in a real browser by a minimal host, as
// an MCP Apps host does it: the app's HTML, read from the server with resources/read, in a
// sandboxed frame (scripts only, an opaque origin, no network); the host answers its
// ui/initialize and, once it says it is initialized, sends it the result of a real tools/call of
// show_notes; the board draws the notes. Chromium as browser-client.test.ts finds or installs it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { BOARD_URI, buildApp } from '@mcp-fastify/example-main'
import type { Browser } from 'playwright-core'
import { ensureChromium, launchChromium } from './chromium.ts'

const chromium = ensureChromium()
if (!chromium.ok && process.env.CI !== 'true') process.stderr.write(`notice: browser tests skipped: ${chromium.reason}\n`)
const skip = !chromium.ok && process.env.CI !== 'true'

let browser: Browser | undefined
before(async () => {
  if (chromium.ok) browser = await launchChromium()
})
after(async () => { await browser?.close() })

/** JSON to put inside an inline script (a `</script>` in a string would end it). */
function scriptJson (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

/** The host: the app in a sandboxed frame, and the host's side of the app protocol. */
function hostPage (html: string, toolResult: unknown): string {
  return `<!doctype html><html><body>
<iframe id="app" sandbox="allow-scripts" style="width:600px;height:400px"></iframe>
<script>
  const frame = document.getElementById('app')
  window.seen = []
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow) return
    const message = event.data
    window.seen.push(message.method ?? 'response')
    const reply = (result) => frame.contentWindow.postMessage({ jsonrpc: '2.0', id: message.id, result }, '*')
    if (message.method === 'ui/initialize') {
      reply({ protocolVersion: '2026-01-26', hostInfo: { name: 'test-host', version: '1.0.0' }, hostCapabilities: {}, hostContext: { theme: 'dark' } })
    } else if (message.method === 'ui/notifications/initialized') {
      frame.contentWindow.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: ${scriptJson(toolResult)} }, '*')
    }
  })
  frame.srcdoc = ${scriptJson(html)}
</script>
</body></html>`
}

test('the notes board in Chromium: it greets its host, draws the notes of a show_notes result, follows the host\'s theme', { skip }, async (t) => {
  if (!chromium.ok) assert.fail(`no Chromium, and CI=true requires one: ${chromium.reason}`)
  const app = await buildApp()
  t.after(() => app.close())
  await app.ready()
  const call = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const response = await app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, 'mcp-name': String(params.name ?? params.uri) },
      payload: { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }
    })
    return (response.json() as { result: Record<string, unknown> }).result
  }
  const read = await call('resources/read', { uri: BOARD_URI })
  const html = (read.contents as Array<{ text: string }>)[0]!.text
  const { resultType: _resultType, _meta, ...toolResult } = await call('tools/call', { name: 'show_notes', arguments: {} })

  const context = await browser!.newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  // No network for the app: any request it made would fail the test.
  const requests: string[] = []
  page.on('request', (request) => { if (!request.url().startsWith('about:')) requests.push(request.url()) })
  await page.setContent(hostPage(html, toolResult))
  const board = page.frameLocator('#app')
  await board.locator('h2').first().waitFor({ timeout: 10_000 })
  assert.deepEqual(await board.locator('h2').allTextContents(), ['Welcome', 'Groceries'])
  assert.deepEqual(await board.locator('.tags').allTextContents(), ['#intro', '#home'])
  assert.equal(await board.locator('html').evaluate((element) => (element as HTMLElement).style.colorScheme), 'dark')
  // The board asked to be initialized, said it was, and reported its size.
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen)
  assert.deepEqual(seen.slice(0, 2), ['ui/initialize', 'ui/notifications/initialized'])
  assert.ok(seen.includes('ui/notifications/size-changed'), seen.join(', '))
  assert.deepEqual(requests, [])
})
