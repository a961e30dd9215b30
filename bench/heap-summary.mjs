// What a held stream keeps on the heap: two V8 heap snapshots of the same process (before the
// streams, and with N of them held), grouped the way the "Summary" view of Chrome's DevTools
// groups them (objects by constructor, closures by function, strings together...), the
// difference divided by N. Self sizes (what each object is itself), not retained sizes.
//
//   node --max-old-space-size=8192 bench/heap-summary.mjs <before.heapsnapshot> <held.heapsnapshot> <N> [--top 25]
//
// Run by bench/streams.mjs --heap-snapshot (the answer goes back over IPC), or by hand. A
// snapshot is parsed whole: keep N to a few thousand streams (a snapshot of 10,000 is several
// hundred MB).
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
const [beforeFile, heldFile, countArg] = positionals
if (heldFile === undefined || countArg === undefined) {
  process.stderr.write('usage: node bench/heap-summary.mjs <before.heapsnapshot> <held.heapsnapshot> <N> [--top 25]\n')
  process.exit(2)
}
const count = Number(countArg)

/** Map of group name -> { count, bytes } over every node of the snapshot. */
function groups (file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'))
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const { nodes, strings } = snapshot
  const result = new Map()
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]]
    const name = strings[nodes[i + nameAt]]
    let group
    if (type === 'object') group = name
    else if (type === 'closure') group = `${name || '(anonymous)'}()`
    else if (type === 'string' || type === 'concatenated string' || type === 'sliced string') group = '(string)'
    else if (type === 'code') group = '(compiled code)'
    else if (type === 'array') group = `(array) ${name}`
    else if (type === 'hidden' || type === 'object shape') group = `(system) ${name.replace(/ \/ .*$/, '')}`
    else group = `(${type})`
    const entry = result.get(group) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += nodes[i + sizeAt]
    result.set(group, entry)
  }
  return result
}

const before = groups(beforeFile)
const held = groups(heldFile)
const rows = []
const total = { count: 0, bytes: 0 }
for (const [name, after] of held) {
  const was = before.get(name) ?? { count: 0, bytes: 0 }
  const row = { name, count: (after.count - was.count) / count, bytes: (after.bytes - was.bytes) / count }
  total.count += row.count
  total.bytes += row.bytes
  rows.push(row)
}
for (const [name, was] of before) {
  if (!held.has(name)) rows.push({ name, count: -was.count / count, bytes: -was.bytes / count })
}
rows.sort((a, b) => b.bytes - a.bytes)
const summary = { streams: count, total, top: rows.slice(0, Number(values.top)) }
if (process.send) process.send(summary)
else {
  process.stdout.write(`per stream, ${count} streams: ${total.count.toFixed(1)} objects, ${total.bytes.toFixed(0)} bytes\n`)
  for (const row of summary.top) process.stdout.write(`${row.bytes.toFixed(0).padStart(8)} B ${row.count.toFixed(2).padStart(8)}  ${row.name}\n`)
}
