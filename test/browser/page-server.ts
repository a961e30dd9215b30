import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'page', 'client.ts')
const HTML = '<!doctype html>\n<html><head><meta charset="utf-8"><title>loading</title><script src="/client.js"></script></head><body></body></html>\n'

let bundled: Promise<string> | undefined

/** page/client.ts and the official SDK client it imports, bundled once for the browser. */
export function bundle (): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'silent'
  }).then(({ outputFiles }) => {
    const [file] = outputFiles
    if (file === undefined) throw new Error('esbuild wrote nothing')
    return file.text
  })
  return bundled
}

/**
 * A page with the bundled client, served on its own loopback port (so on its own origin),
 * closed when the test ends. Answers its origin, `http://127.0.0.1:<port>`.
 */
export async function servePage (t: TestContext): Promise<string> {
  const script = await bundle()
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML)
    } else if (request.url === '/client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script)
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
