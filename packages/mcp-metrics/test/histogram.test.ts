import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { FastHistogram } from '../src/histogram.ts'

const buckets = [0.01, 0.1, 1, 10]
const labelNames = ['method', 'tool']
// On the bounds, between them, under the first, past the last; two series.
const observations: Array<[{ method: string, tool?: string }, number]> = [
  [{ method: 'tools/call', tool: 'echo' }, 0.01],
  [{ method: 'tools/call', tool: 'echo' }, 0.05],
  [{ method: 'tools/call', tool: 'echo' }, 1],
  [{ method: 'tools/call', tool: 'echo' }, 0.001],
  [{ method: 'ping' }, 10],
  [{ method: 'ping' }, 42],
  [{ method: 'tools/call', tool: 'echo' }, 10.5]
]

test('FastHistogram exposes what prom-client\'s Histogram exposes for the same observations (the oracle)', async () => {
  const oracle = new Registry()
  const reference = new Histogram({ name: 'h', help: 'help text', labelNames, buckets, registers: [oracle] })
  const ours = new Registry()
  const fast = new FastHistogram({ name: 'h', help: 'help text', labelNames, buckets, registers: [ours] })
  for (const [labels, value] of observations) {
    reference.observe(labels, value)
    fast.record(`${labels.method} ${labels.tool ?? ''}`, labels, value)
  }
  assert.equal(await ours.metrics(), await oracle.metrics())
  // The JSON form too, but for prom-client's exemplar slots (none here).
  const withoutExemplars = (metrics: unknown): unknown => JSON.parse(JSON.stringify(metrics, (key, value) => key === 'exemplar' ? undefined : value))
  assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await oracle.getMetricsAsJSON()))
})

test('FastHistogram: observe() (the slow path) lands in the same series; reset() and removal work as for any metric', async () => {
  const registry = new Registry()
  const fast = new FastHistogram({ name: 'h', help: 'help', labelNames, buckets, registers: [registry] })
  fast.observe({ method: 'ping' }, 0.5)
  fast.observe({ method: 'ping' }, 5)
  assert.match(await registry.metrics(), /^h_count\{method="ping"\} 2$/m)
  registry.resetMetrics()
  assert.doesNotMatch(await registry.metrics(), /h_count/)
  registry.removeSingleMetric('h')
  assert.equal(registry.getSingleMetric('h'), undefined)
})
