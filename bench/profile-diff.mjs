// Where two servers' CPU per request goes, from V8 CPU profiles of the same load (bench/corun.mjs
// --profile writes them): each function's self time, as a share of the profile's busy samples,
// scaled by the server's measured CPU time per request, so the two compare in µs per request.
// The scale is approximate: a profile samples the main thread, the CPU time counts every thread.
//
//   node bench/profile-diff.mjs <base.cpuprofile> <ours.cpuprofile> <base µs/request> <ours µs/request> [--top 30]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isMain } from './common.mjs'

/** What a function's code belongs to: one of our packages, a dependency, Node, or V8 itself. */
function originOf ({ functionName, url }) {
  if (functionName === '(garbage collector)' || functionName === '(program)') return `V8 ${functionName}`
  if (url === '') return 'native (system calls, builtins)'
  const ours = /packages\/(mcp-[a-z]+)\//.exec(url)
  if (ours !== null) return ours[1]
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (dependency !== null) return dependency[1]
  if (url.startsWith('node:')) return 'node'
  return 'the server\'s own file'
}

/** Self time by function and by origin, as shares of the busy (not idle) samples. */
export function selfTimes (file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const functions = new Map()
  const origins = new Map()
  let busy = 0
  for (const id of profile.samples) {
    const frame = frames.get(id)
    if (frame.functionName === '(idle)') continue
    busy++
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + 1)
    const origin = originOf(frame)
    origins.set(origin, (origins.get(origin) ?? 0) + 1)
  }
  const shares = (counts) => new Map([...counts].map(([key, count]) => [key, count / busy]))
  return { functions: shares(functions), origins: shares(origins), busy }
}

/** Rows of µs per request for base and ours, by origin and by function, largest difference first. */
export function compare (baseFile, oursFile, baseUs, oursUs) {
  const base = selfTimes(baseFile)
  const ours = selfTimes(oursFile)
  const rows = (pick) => {
    const keys = new Set([...pick(base).keys(), ...pick(ours).keys()])
    return [...keys].map((key) => ({ key, base: (pick(base).get(key) ?? 0) * baseUs, ours: (pick(ours).get(key) ?? 0) * oursUs }))
      .sort((a, b) => (b.ours - b.base) - (a.ours - a.base))
  }
  return { origins: rows((p) => p.origins), functions: rows((p) => p.functions), samples: { base: base.busy, ours: ours.busy } }
}

/** The comparison as markdown tables. */
export function describe ({ origins, functions, samples }, { base = 'base', top = 30 } = {}) {
  const us = (value) => value.toFixed(2)
  const table = (title, list) => [
    `| ${title} | ${base} µs/request | ours µs/request | ours − ${base} |`, '| --- | ---: | ---: | ---: |',
    ...list.map((row) => `| ${row.key.replaceAll('|', '\\|')} | ${us(row.base)} | ${us(row.ours)} | ${us(row.ours - row.base)} |`)
  ]
  return [
    `Busy samples: ${base} ${samples.base}, ours ${samples.ours}.`, '',
    ...table('by origin', origins.filter((row) => row.base >= 0.05 || row.ours >= 0.05)), '',
    ...table(`by function (the ${top} largest differences)`, functions.slice(0, top)), ''
  ].join('\n')
}

if (isMain(import.meta.url)) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } })
  if (positionals.length !== 4) {
    process.stderr.write('usage: node bench/profile-diff.mjs <base.cpuprofile> <ours.cpuprofile> <base µs/request> <ours µs/request> [--top 30]\n')
    process.exit(2)
  }
  const [baseFile, oursFile, baseUs, oursUs] = positionals
  process.stdout.write(describe(compare(baseFile, oursFile, Number(baseUs), Number(oursUs)), { top: Number(values.top) }))
}
