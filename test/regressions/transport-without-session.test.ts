// Regression: mcp-session is an optional peer of mcp-transport, yet the transport imported values
// from it (`parseEventId`, its error codes), so a stateless install without mcp-session failed at
// load with ERR_MODULE_NOT_FOUND. This test installs the packed transport and protocol alone into
// a fresh npm project outside the workspace, then serves a tool call statelessly from it.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

const SERVER = `
import Fastify from 'fastify'
import mcpTransport from '@mcp-fastify/mcp-transport'
const app = Fastify()
await app.register(mcpTransport, { path: '/mcp' })
app.mcp.tool({ name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, handler: ({ text }) => ({ content: [{ type: 'text', text }] }) })
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(String(app.server.address().port) + '\\n')
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
`

test('mcp-transport installed without mcp-session loads and serves a stateless endpoint', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-transport-alone-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const name of ['mcp-protocol', 'mcp-transport']) {
    // pnpm packs `workspace:^` ranges as versions (npm would keep them, and npm install refuses them).
    await run('npx', ['--yes', 'pnpm@10', 'pack', '--pack-destination', dir], { cwd: path.join(root, 'packages', name) })
  }
  const tarballs = (await readdir(dir)).filter((file) => file.endsWith('.tgz')).map((file) => path.join(dir, file))
  assert.strictEqual(tarballs.length, 2)
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, 'fastify@5'], { cwd: dir })
  assert.ok(!existsSync(path.join(dir, 'node_modules/@mcp-fastify/mcp-session')), 'mcp-session is not installed')

  await writeFile(path.join(dir, 'server.mjs'), SERVER)
  const server = spawn(process.execPath, ['server.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { server.kill('SIGKILL') })
  let stderr = ''
  server.stderr.on('data', (chunk) => { stderr += chunk })
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (chunk) => resolve(String(chunk).trim()))
    server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)))
  })
  const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'alone' } } })
  })
  assert.strictEqual(response.status, 200)
  assert.deepStrictEqual(await response.json(), { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'alone' }] } })
  const get = await fetch(`http://127.0.0.1:${port}/mcp`, { headers: { accept: 'text/event-stream' } })
  assert.strictEqual(get.status, 405, 'no sessions, no GET stream')
})
