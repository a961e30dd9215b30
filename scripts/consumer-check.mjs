#!/usr/bin/env node
// What a user gets from npm, checked the way a user meets it: every package is built and packed
// (`pnpm pack`, which turns `workspace:^` into real ranges), the tarballs are installed with npm
// into a fresh project outside the workspace, next to fastify, TypeBox, TypeScript, @types/node
// and the official MCP SDK from the registry. There a consumer that imports every package is
// type-checked under moduleResolution bundler, node16 and nodenext with skipLibCheck off; the
// root README's quick start runs (port 0 instead of 3000) and the official SDK client calls its
// tool; @arethetypeswrong/cli judges every tarball. The project is deleted afterwards
// (CONSUMER_CHECK_KEEP=1 keeps it, and says where).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SDK = '@modelcontextprotocol/sdk@1.32.2'
const RESOLUTIONS = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' }
}

const failures = []
const started = Date.now()

function log (line) {
  process.stdout.write(`consumer-check: ${line}\n`)
}

function fail (what, detail = '') {
  failures.push(what)
  process.stdout.write(`consumer-check: FAIL ${what}\n${detail ? detail.trimEnd() + '\n' : ''}`)
}

/** Runs a command; returns its status and output (stdout and stderr together). */
function run (command, args, { cwd = root, timeout = 120_000, env } = {}) {
  const result = spawnSync(command, args, { cwd, timeout, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (result.error) return { status: 1, output: `${output}${result.error.message}\n` }
  return { status: result.status ?? 1, output }
}

/** The same, without blocking: for the steps that can run side by side. */
function runAsync (command, args, { cwd = root, timeout = 180_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, timeout, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.stderr.on('data', (chunk) => { output += chunk })
    child.on('error', (error) => resolve({ status: 1, output: `${output}${error.message}\n` }))
    child.on('close', (code, signal) => resolve({ status: code ?? 1, output: signal ? `${output}killed by ${signal}\n` : output }))
  })
}

/** Runs a step that must succeed before anything else can run: stops the check otherwise. */
function mustRun (what, command, args, options) {
  const t = Date.now()
  const { status, output } = run(command, args, options)
  if (status !== 0) {
    fail(what, output)
    finish()
  }
  log(`${what} (${seconds(t)})`)
  return output
}

function seconds (since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`
}

// pnpm as the caller ran it (`pnpm run check:consumer`, `npx --yes pnpm@10 ...`), else from PATH.
const execpath = process.env.npm_execpath ?? ''
const pnpm = !path.basename(execpath).startsWith('pnpm')
  ? ['pnpm']
  : /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath]
function pnpmArgs (...args) {
  return [pnpm[0], [...pnpm.slice(1), ...args]]
}

const work = mkdtempSync(path.join(os.tmpdir(), 'mcp-fastify-consumer-'))
const keep = process.env.CONSUMER_CHECK_KEEP === '1'
process.on('exit', () => {
  if (keep) log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1))
if (!path.relative(root, work).startsWith('..')) {
  fail(`${work} is inside the workspace, where Node would find the workspace's node_modules: set TMPDIR elsewhere`)
  finish()
}

function finish () {
  if (failures.length > 0) {
    process.stdout.write(`consumer-check: ${failures.length} failed (${seconds(started)}):\n${failures.map((f) => `  - ${f}\n`).join('')}`)
    process.exit(1)
  }
  log(`all passed (${seconds(started)})`)
  process.exit(0)
}

// --- build and pack ----------------------------------------------------------------------------

const packages = readdirSync(path.join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = path.join(root, 'packages', entry.name)
    return { dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }
  })
  .filter(({ manifest }) => manifest.private !== true)

mustRun('build', ...pnpmArgs('run', 'build'))

const packs = path.join(work, 'packs')
mkdirSync(packs)
const tarballs = new Map()
{
  const t = Date.now()
  for (const { dir, manifest } of packages) {
    const { status, output } = run(...pnpmArgs('pack', '--pack-destination', packs), { cwd: dir })
    const tgz = readdirSync(packs).find((file) => file.startsWith(manifest.name.replace('@', '').replace('/', '-') + '-'))
    if (status !== 0 || tgz === undefined) {
      fail(`pnpm pack ${manifest.name}`, output)
      finish()
    }
    tarballs.set(manifest.name, path.join(packs, tgz))
  }
  log(`packed ${tarballs.size} packages (${seconds(t)})`)
}

// --- what each tarball holds -------------------------------------------------------------------

/** Every file under `dir`, as paths relative to it. */
function walk (dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
    ? walk(path.join(dir, entry.name), `${prefix}${entry.name}/`)
    : [`${prefix}${entry.name}`])
}

/** The specifiers a JS or d.ts file imports, exports from, or import()s. */
function specifiers (text) {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((match) => match[1])
}

/**
 * The packages that the files reachable from `entries` import (relative imports followed, bare
 * specifiers reduced to a package name), with a file that imports each: what Node loads from the
 * JS entry point, and what tsc reads from the types entry point.
 */
function reachableImports (pkg, entries) {
  const seen = new Set()
  const packages = new Map()
  const missing = []
  const queue = [...entries]
  while (queue.length > 0) {
    const file = queue.shift()
    if (seen.has(file)) continue
    seen.add(file)
    if (!existsSync(path.join(pkg, file))) {
      missing.push(file)
      continue
    }
    for (const specifier of specifiers(readFileSync(path.join(pkg, file), 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = path.posix.join(path.posix.dirname(file), specifier)
        // Declarations name their siblings as ./x.js or, emitted from ./x.ts imports, ./x.ts.
        queue.push(file.endsWith('.d.ts') ? target.replace(/\.(js|ts)$/, '.d.ts') : target)
      } else {
        const parts = specifier.split('/')
        const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
        if (!packages.has(name)) packages.set(name, file)
      }
    }
  }
  return { packages, missing }
}

const licences = ['LICENSE-MIT', 'LICENSE-APACHE'].map((file) => [file, readFileSync(path.join(root, file), 'utf8')])
for (const [name, tgz] of tarballs) {
  const unpacked = path.join(work, 'unpacked', name)
  mkdirSync(unpacked, { recursive: true })
  run('tar', ['-xzf', tgz, '-C', unpacked])
  const pkg = path.join(unpacked, 'package')
  const files = walk(pkg)
  const problems = []
  for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', ...licences.map(([f]) => f)]) {
    if (!files.includes(file)) problems.push(`missing ${file}`)
  }
  for (const [file, text] of licences) {
    if (files.includes(file) && readFileSync(path.join(pkg, file), 'utf8') !== text) problems.push(`${file} differs from the root's`)
  }
  for (const file of files) {
    if (/\.tsbuildinfo$|^test\//.test(file)) problems.push(`ships ${file}`)
  }
  const manifestText = readFileSync(path.join(pkg, 'package.json'), 'utf8')
  const manifest = JSON.parse(manifestText)
  if (manifestText.includes('workspace:')) problems.push('package.json still has workspace: ranges')
  if (manifest.license !== 'MIT OR Apache-2.0') problems.push(`license is ${JSON.stringify(manifest.license)}`)
  if (manifest.repository?.directory === undefined) problems.push('no repository.directory')
  if (manifest.publishConfig?.access !== 'public') problems.push('no publishConfig.access "public"')
  // The workspace resolves our packages to their TypeScript source through a `source` condition;
  // published, that condition would send a user whose own tools set it (a common name for the same
  // trick) into our src/, so publishConfig.exports leaves it out, and must keep every subpath.
  const workspaceManifest = packages.find((p) => p.manifest.name === name).manifest
  if (JSON.stringify(manifest.exports ?? {}).includes('"source"')) problems.push('exports still has the "source" condition')
  const subpaths = (exports) => Object.keys(exports ?? {}).sort().join(', ')
  if (subpaths(manifest.exports) !== subpaths(workspaceManifest.exports)) {
    problems.push(`exports published (${subpaths(manifest.exports)}) differ from the workspace's (${subpaths(workspaceManifest.exports)}): see publishConfig.exports`)
  }
  // What the package loads, at run time or in the declarations a user's tsc reads, must be
  // installed with it: a dependency or a peer that is not optional (Node's own modules aside:
  // their types are @types/node, which TypeScript users add themselves, as for Fastify).
  const optional = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([dep]) => dep))
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})].filter((dep) => !optional.has(dep)))
  const entry = manifest.exports?.['.'] ?? {}
  for (const [what, file] of [['run time', entry.default], ['types', entry.types]]) {
    if (typeof file !== 'string' || !files.includes(path.posix.normalize(file))) {
      problems.push(`exports["."] names no ${what} file that the tarball holds (${file})`)
      continue
    }
    const { packages, missing } = reachableImports(pkg, [path.posix.normalize(file)])
    for (const lost of missing) problems.push(`${lost} is imported (${what}) but not in the tarball`)
    for (const [dep, from] of packages) {
      if (dep.startsWith('node:') || builtinModules.includes(dep) || declared.has(dep)) continue
      problems.push(`${from} imports ${dep} (${what}), which is not a dependency or a required peer`)
    }
  }
  if (problems.length > 0) fail(`tarball ${name}`, problems.map((p) => `  ${p}`).join('\n'))
  else log(`${name}: licences, README, dist, metadata, no workspace: ranges, every import installed with it`)
}

// --- a fresh npm project outside the workspace -------------------------------------------------

const project = path.join(work, 'consumer')
mkdirSync(path.join(project, 'src'), { recursive: true })
writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2))

// What a user would add beside our packages: the ranges our packages ask for, the TypeScript this
// repository builds with, the @types/node of the Node running the check.
const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const transport = packages.find(({ manifest }) => manifest.name === '@mcp-fastify/mcp-transport').manifest
const registryDeps = [
  `fastify@${transport.peerDependencies.fastify}`,
  `@sinclair/typebox@${transport.dependencies['@sinclair/typebox']}`,
  `typescript@${rootManifest.devDependencies.typescript}`,
  `@types/node@^${process.versions.node.split('.')[0]}`,
  SDK
]
mustRun(`npm install of the ${tarballs.size} tarballs and ${registryDeps.join(' ')}`,
  'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values(), ...registryDeps],
  { cwd: project, timeout: 300_000 })

const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
const quickStart = /^## Quick start\n(?:(?!^## )[\s\S])*?^```ts\n([\s\S]*?)^```/m.exec(readme)?.[1]
const listen = "await app.listen({ port: 3000, host: '127.0.0.1' })"
if (quickStart === undefined || !quickStart.includes(listen)) {
  fail('README quick start', `expected a \`\`\`ts block in the section "## Quick start" with ${listen}`)
  finish()
}

writeFileSync(path.join(project, 'src', 'quick-start.ts'), `\
// The root README's quick start as written there, but on a free port; then the official SDK
// client calls its tool over Streamable HTTP (generated by scripts/consumer-check.mjs).
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
${quickStart.replace(listen, listen.replace('3000', '0'))}
const { port } = app.server.address() as AddressInfo
const client = new Client({ name: 'consumer-check', version: '1.0.0' })
await client.connect(new StreamableHTTPClientTransport(new URL(\`http://127.0.0.1:\${port}/mcp\`)))
const progress: number[] = []
const result = await client.callTool({ name: 'forecast', arguments: { city: 'Lisbon' } }, undefined, {
  onprogress: (notification) => { progress.push(notification.progress) }
})
assert.deepEqual(result.content, [{ type: 'text', text: 'Sunny in Lisbon' }])
assert.deepEqual(progress, [50])
await client.close()
await app.close()
console.log(\`consumer-check: forecast answered "Sunny in Lisbon" with progress 50/100 over Streamable HTTP on port \${port}\`)
`)

writeFileSync(path.join(project, 'src', 'every-package.ts'), `\
// Every package imported as a TypeScript user imports it, its public types in use: with
// skipLibCheck off, tsc checks every declaration file these imports reach (generated by
// scripts/consumer-check.mjs).
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import mcpMetrics, { errorCodes as metricsErrors, type McpMetricsOptions } from '@mcp-fastify/mcp-metrics'
import mcpOAuth, { errorCodes as oauthErrors, type McpAuthInfo, type McpOAuthOptions } from '@mcp-fastify/mcp-oauth'
import { ErrorCode, McpError, McpServer, errorCodes as protocolErrors, statelessSession } from '@mcp-fastify/mcp-protocol'
import mcpSession, { MemorySessionStore, errorCodes as sessionErrors, type McpSessionOptions } from '@mcp-fastify/mcp-session'
import mcpTransport, { errorCodes as transportErrors, type McpTransportOptions } from '@mcp-fastify/mcp-transport'

const server = new McpServer({ name: 'demo', version: '1.0.0' })
server.tool({
  name: 'add',
  description: 'Adds two numbers',
  inputSchema: Type.Object({ a: Type.Number(), b: Type.Number() }),
  outputSchema: Type.Object({ sum: Type.Number() }),
  handler: ({ a, b }) => ({ structuredContent: { sum: a + b } })
})
const response = await server.handleRequest(
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } },
  statelessSession('2025-11-25'))
assert.deepEqual((response as { result?: { structuredContent?: unknown } } | undefined)?.result?.structuredContent, { sum: 3 })

const wire: Error = new McpError(ErrorCode.InvalidParams, 'bad')
assert.ok(wire instanceof Error)
const codes: Array<[string, new (...args: any[]) => Error & { code: string }]> = [
  ...Object.entries(protocolErrors), ...Object.entries(sessionErrors), ...Object.entries(transportErrors),
  ...Object.entries(oauthErrors), ...Object.entries(metricsErrors)
]
for (const [name, ErrorClass] of codes) assert.equal(new ErrorClass('a', 'b').code, name)
const limit = new sessionErrors.FST_MCP_SESSION_LIMIT(10)
assert.equal(limit.statusCode, 503)

const sessionOptions: McpSessionOptions = { store: new MemorySessionStore() }
const transportOptions: McpTransportOptions = { path: '/mcp', serverInfo: { name: 'every-package', version: '1.0.0' } }
const metricsOptions: McpMetricsOptions = {}
const oauthOptions: McpOAuthOptions = { issuer: 'https://auth.example.com', resource: 'https://mcp.example.com/mcp' }
const principal: McpAuthInfo['principal'] | undefined = undefined
assert.equal(typeof mcpOAuth, 'function')
assert.equal(typeof oauthOptions.issuer, 'string')
assert.equal(principal, undefined)

const app = Fastify()
await app.register(mcpMetrics, metricsOptions)
await app.register(mcpSession, sessionOptions)
await app.register(mcpTransport, transportOptions)
await app.ready()
const metrics = await app.inject({ method: 'GET', url: '/metrics' })
assert.equal(metrics.statusCode, 200)
await app.close()
console.log(\`consumer-check: every package imported; \${codes.length} error codes; /metrics answered\`)
`)

// --- type checks: three module resolutions, skipLibCheck off -----------------------------------

// The three run side by side (two cores are enough to halve the wait); each prints when done.
const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc')
await Promise.all(Object.entries(RESOLUTIONS).map(async ([name, options]) => {
  writeFileSync(path.join(project, `tsconfig.${name}.json`), JSON.stringify({
    compilerOptions: {
      ...options,
      target: 'ES2022',
      strict: true,
      skipLibCheck: false,
      // nodenext is the one emitted and run.
      ...(name === 'nodenext' ? { outDir: 'dist', rootDir: 'src' } : { noEmit: true })
    },
    include: ['src']
  }, null, 2))
  const t = Date.now()
  const { status, output } = await runAsync(process.execPath, [tsc, '-p', `tsconfig.${name}.json`, '--pretty', 'false'], { cwd: project })
  const errors = output.split('\n').filter((line) => /error TS\d+/.test(line))
  if (status !== 0) fail(`tsc, moduleResolution ${name}: ${errors.length} errors`, output.split('\n').slice(0, 40).join('\n'))
  else log(`tsc, moduleResolution ${name}, skipLibCheck false: 0 errors (${seconds(t)})`)
}))

// --- run them ----------------------------------------------------------------------------------

for (const file of ['quick-start.js', 'every-package.js']) {
  const t = Date.now()
  const { status, output } = run(process.execPath, [path.join('dist', file)], { cwd: project, timeout: 60_000 })
  const said = output.split('\n').find((line) => line.startsWith('consumer-check: '))
  if (status !== 0 || said === undefined) fail(`node dist/${file}`, output)
  else log(`${said.slice('consumer-check: '.length)} (${seconds(t)})`)
}

// --- are the types wrong? ----------------------------------------------------------------------

// ESM only, by design (no CommonJS build): the esm-only profile leaves out node10 (no `exports`
// support) and node16 from CommonJS, where TypeScript (attw's 5.6) types an ESM-only package as
// dynamic import only; Node 20.19 and later can require() these packages all the same.
const attw = path.join(root, 'node_modules', '.bin', 'attw')
const kinds = [['node16-esm', 'node16 (ESM)'], ['bundler', 'bundler'], ['node10', 'node10 (ignored)'], ['node16-cjs', 'node16 (CJS, ignored)']]
const rows = [['attw --profile esm-only', ...kinds.map(([, title]) => title)]]
{
  const t = Date.now()
  for (const [name, tgz] of tarballs) {
    const { status, output } = run(attw, [tgz, '--profile', 'esm-only', '--format', 'json'])
    let analysis
    try { analysis = JSON.parse(output).analysis } catch {}
    if (status !== 0 || analysis === undefined) {
      fail(`attw ${name}`, run(attw, [tgz, '--profile', 'esm-only', '--format', 'ascii', '--no-color']).output)
      continue
    }
    const problems = analysis.problems.filter((problem) => problem.entrypoint === '.')
    rows.push([name, ...kinds.map(([kind]) => problems.filter((p) => p.resolutionKind === kind).map((p) => p.kind).join(', ') || 'OK')])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  log(`attw on ${rows.length - 1} tarballs (${seconds(t)}):\n${rows.map((row) => '  ' + row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n')}`)
}

finish()
