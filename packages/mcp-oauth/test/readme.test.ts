// The README's example is a program a user copies: this runs that very block, in a process of
// its own as a user would, against a local issuer, and uses it over HTTP.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { FixtureIssuer, JSON_AND_SSE, parseChallenge } from './helpers.ts'

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

async function postJson (url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number, headers: Record<string, unknown>, body: any }> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers }, body: JSON.stringify(body) })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
}

test('the README\'s example runs as written: 401 naming the basic scope, then a tool call with a token', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const block = /```ts\n(import mcpOAuth[\s\S]*?)```/.exec(readme)?.[1]
  assert.ok(block !== undefined, 'the README has its example')
  // Beside the package, so that its imports resolve as they would in a user's project.
  const file = new URL(`./.readme-example-${randomUUID()}.ts`, import.meta.url)
  writeFileSync(file, block)
  t.after(() => rmSync(file, { force: true }))

  const fixture = await FixtureIssuer.start(t)
  const port = await freePort()
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(file)], {
    env: { ...process.env, PORT: String(port), OAUTH_ISSUER: fixture.issuer },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { child.kill() })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk) })
  await new Promise<void>((resolve, reject) => {
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk)
      if (stdout.includes('Server listening at')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`the example exited (${code}): ${stderr}`)))
  })

  const url = `http://127.0.0.1:${port}/mcp`
  const refused = await postJson(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, {})
  assert.equal(refused.status, 401)
  const challenge = parseChallenge(refused.headers['www-authenticate'])
  assert.equal(challenge.scope, 'mcp:tools')
  assert.equal(challenge.resource_metadata, `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`)

  const token = fixture.token(url, { scope: 'mcp:tools' })
  const auth = { authorization: `Bearer ${token}` }
  const init = await postJson(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'readme', version: '1' } } }, auth)
  assert.equal(init.status, 200, JSON.stringify(init.body))
  const session = { ...auth, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  const list = await postJson(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, session)
  assert.deepEqual(list.body.result.tools.map((tool: { name: string }) => tool.name), ['whoami'], 'delete_everything needs mcp:admin')
  const call = await postJson(url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, session)
  assert.deepEqual(call.body.result.content, [{ type: 'text', text: 'alice (mcp:tools)' }])
  const admin = await postJson(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'delete_everything', arguments: {} } }, session)
  assert.equal(admin.status, 403)
  assert.equal(parseChallenge(admin.headers['www-authenticate']).scope, 'mcp:tools mcp:admin')
})
