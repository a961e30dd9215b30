// The official MCP SDK client in a real browser (Debian's headless Chromium, driven by
// playwright-core), on a page served from another origin than the MCP server: what CORS lets it
// do, what it lets it read, and what the server refuses to an origin it does not allow.
// Chromium is installed when missing (as root, with apt-get); where it cannot be, the tests are
// skipped with a notice, except under CI=true, where that fails.
import assert from 'node:assert/strict'
import { after, before, test, type TestContext } from 'node:test'
import { buildBrowserApp, type BrowserAppOptions } from '@mcp-fastify/example-browser'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { CLIENT, authorizationServer, freePort, parseChallenge } from '../oauth-setup.ts'
import { clientCredentialsToken } from '../oauth-tokens.ts'
import { ensureChromium, launchChromium } from './chromium.ts'
import type { PageApi } from './page/client.ts'
import { servePage } from './page-server.ts'

const chromium = ensureChromium()
if (!chromium.ok && process.env.CI !== 'true') process.stderr.write(`notice: browser tests skipped: ${chromium.reason}\n`)
const skip = !chromium.ok && process.env.CI !== 'true'

let browser: Browser | undefined
before(async () => {
  if (!chromium.ok) return
  browser = await launchChromium()
})
after(async () => { await browser?.close() })

/** Fails the test, under CI, when there is no Chromium to run it in. */
function requireBrowser (): Browser {
  if (!chromium.ok) assert.fail(`no Chromium, and CI=true requires one: ${chromium.reason}`)
  assert.ok(browser !== undefined, 'Chromium did not start')
  return browser
}

interface Seen { method: string, origin: string | undefined, status: number, allowOrigin: string | undefined }

interface Server {
  app: FastifyInstance
  url: string
  /** Every request the server answered: method, the browser's Origin, status, Access-Control-Allow-Origin. */
  seen: Seen[]
}

/** The browser example's app on a loopback port, closed when the test ends. */
async function mcpServer (t: TestContext, options: BrowserAppOptions, port = 0): Promise<Server> {
  const app = await buildBrowserApp(options)
  const seen: Seen[] = []
  app.addHook('onResponse', async (request, reply) => {
    const allowOrigin = reply.getHeader('access-control-allow-origin')
    seen.push({ method: request.method, origin: request.headers.origin, status: reply.statusCode, allowOrigin: allowOrigin === undefined ? undefined : String(allowOrigin) })
  })
  t.after(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  const address = app.server.address()
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}/mcp`, seen }
}

/** A new page (in its own browser context) at `origin`, once its bundle has loaded. */
async function openPage (t: TestContext, origin: string): Promise<Page> {
  const context = await requireBrowser().newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 10_000 })
  return page
}

/** Runs one of page/client.ts's functions in the page. */
async function inPage<K extends keyof PageApi> (page: Page, name: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>> {
  return await page.evaluate(([name, args]) => (window.mcp[name] as (...a: unknown[]) => unknown)(...args), [name, args] as const) as Awaited<ReturnType<PageApi[K]>>
}

test('a page on an allowed origin initializes, lists and calls a tool with the SDK client, reading Mcp-Session-Id', { skip }, async (t) => {
  const origin = await servePage(t)
  const { url, seen } = await mcpServer(t, { origins: [origin] })
  const page = await openPage(t, origin)

  const result = await inPage(page, 'session', url, 'add_note', { text: 'from the browser' })
  assert.ok(result.ok, `the SDK client failed in the browser: ${result.ok ? '' : result.error}`)
  const { sessionId, protocolVersion, tools, called, terminated } = result.value
  // The SDK reads the session id from the initialize answer and sends it back on every request:
  // without it in Access-Control-Expose-Headers it would read nothing and tools/list would be 400.
  assert.match(sessionId ?? '', /^[\x21-\x7e]{16,}$/, 'Mcp-Session-Id was readable')
  assert.equal(protocolVersion, '2025-11-25')
  assert.deepEqual(tools.sort(), ['add_note', 'list_notes'])
  assert.equal(called, 'Note 2 added.')
  assert.ok(terminated, 'the session was ended with DELETE, a method the preflight allowed')

  // Every answer to this page named its origin; the requests were preflighted as CORS requires
  // (and the SDK's GET stream, when it was answered yet, is among them).
  const fromPage = seen.filter((request) => request.origin === origin)
  const methods = new Set(fromPage.map(({ method }) => method))
  for (const method of ['OPTIONS', 'POST', 'DELETE']) assert.ok(methods.has(method), `${method} from the page: ${JSON.stringify(fromPage)}`)
  assert.ok(fromPage.every(({ allowOrigin }) => allowOrigin === origin), JSON.stringify(fromPage))
  assert.ok(fromPage.filter(({ method }) => method !== 'OPTIONS').every(({ status }) => status < 300), JSON.stringify(fromPage))

  // With fetch itself: the script reads the header, as any browser client would.
  const raw = await inPage(page, 'initialize', url)
  assert.ok(raw.ok, raw.ok ? '' : raw.error)
  assert.equal(raw.value.status, 200)
  assert.match(raw.value.headers['mcp-session-id'] ?? '', /^[\x21-\x7e]{16,}$/)
})

test('a page on an origin not allowed: the browser stops the SDK client, and what it can send unasked is answered 403', { skip }, async (t) => {
  const allowed = await servePage(t)
  const other = await servePage(t)
  const { url, seen } = await mcpServer(t, { origins: [allowed] })
  const page = await openPage(t, other)

  // The preflight gets no Access-Control-Allow-Origin for this origin: the browser sends nothing more.
  const result = await inPage(page, 'session', url, 'add_note', { text: 'from elsewhere' })
  assert.ok(!result.ok, 'the SDK client connected from an origin that is not allowed')
  assert.match(result.error, /Failed to fetch/)
  const fromOther = seen.filter((request) => request.origin === other)
  assert.deepEqual(fromOther.map(({ method }) => method), ['OPTIONS'], JSON.stringify(fromOther))
  assert.equal(fromOther[0]?.allowOrigin, undefined)

  // A "simple" cross-origin POST (text/plain, no custom header) needs no preflight: a page can
  // send it to any server. The transport's Origin check refuses it before anything is parsed.
  const sent = await inPage(page, 'simplePost', url)
  assert.ok(sent.ok, sent.ok ? '' : sent.error)
  const refused = seen.filter((request) => request.origin === other && request.method === 'POST')
  assert.deepEqual(refused.map(({ status }) => status), [403])

  // The same request from the allowed origin passes the check (and is refused for its content
  // type): the 403 was about the origin.
  const allowedPage = await openPage(t, allowed)
  const control = await inPage(allowedPage, 'simplePost', url)
  assert.ok(control.ok, control.ok ? '' : control.error)
  assert.deepEqual(seen.filter((request) => request.origin === allowed && request.method === 'POST').map(({ status }) => status), [415])
})

test('with mcp-oauth: the page reads the 401\'s WWW-Authenticate, follows it to the metadata, and with a token uses the tools', { skip }, async (t) => {
  const origin = await servePage(t)
  const as = await authorizationServer(t)
  const port = await freePort()
  const resource = `http://127.0.0.1:${port}/mcp`
  as.allowResource(resource)
  const { url } = await mcpServer(t, { origins: [origin], oauth: { issuer: as.issuer, resource } }, port)
  const page = await openPage(t, origin)

  const challenged = await inPage(page, 'initialize', url)
  assert.ok(challenged.ok, challenged.ok ? '' : challenged.error)
  assert.equal(challenged.value.status, 401)
  const challenge = parseChallenge(challenged.value.headers['www-authenticate'])
  assert.equal(challenge.resource_metadata, `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`)

  // What a browser client does next: the protected resource metadata, cross-origin too.
  const metadata = await inPage(page, 'getJson', challenge.resource_metadata!)
  assert.ok(metadata.ok, metadata.ok ? '' : metadata.error)
  assert.deepEqual({ ...metadata.value as object }, { ...metadata.value as object, resource, authorization_servers: [as.issuer] })

  // A token from the authorization server (client credentials, here in Node: the page only uses it).
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, resource, 'mcp:tools')
  const result = await inPage(page, 'session', url, 'list_notes', {}, token)
  assert.ok(result.ok, `the SDK client failed in the browser: ${result.ok ? '' : result.error}`)
  assert.match(result.value.sessionId ?? '', /^[\x21-\x7e]{16,}$/)
  assert.match(result.value.called, /^Welcome/)
})
