import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { buildApp, callTool, declareTools, initialize, post, scrape } from './helpers.ts'

const DASHBOARD = new URL('../../../examples/main/grafana-dashboard.json', import.meta.url)

interface Panel {
  title: string
  targets?: Array<{ expr: string }>
}

test('the Grafana dashboard of the main example queries only metrics and labels the plugin exposes', async (t) => {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] }
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })))
  assert.ok(exprs.length > 20)

  const app = await buildApp(t, { metrics: { defaultMetrics: true }, declare: declareTools })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'echo'), headers)
  const metrics = await scrape(app)
  const families = new Map<string, Set<string>>()
  for (const [, name] of metrics.text.matchAll(/^# TYPE (\S+) \S+$/gm)) families.set(name!, new Set(['job', 'instance', 'le']))
  for (const sample of metrics.samples) {
    const family = [...families.keys()].find((name) => sample.name === name || sample.name.startsWith(`${name}_`))
    for (const label of Object.keys(sample.labels)) families.get(family!)!.add(label)
  }
  // Label names a series may have without having had them yet (no such call was made here).
  const later: Record<string, string[]> = {
    mcp_server_operation_duration_seconds: ['error_type', 'gen_ai_prompt_name'],
    mcp_server_sessions_closed_total: ['reason'],
    mcp_server_session_duration_seconds: ['reason'],
    mcp_server_sse_streams_active: ['kind'],
    mcp_server_sse_streams_opened_total: ['kind'],
    mcp_server_http_refused_total: ['http_response_status_code', 'error_type', 'http_request_method'],
    mcp_server_auth_failures_total: ['reason', 'http_response_status_code'],
    mcp_server_rate_limited_total: ['gen_ai_tool_name']
  }
  for (const [family, labels] of Object.entries(later)) for (const label of labels) families.get(family)?.add(label)

  for (const { panel, expr } of exprs) {
    for (const [, name, matchers] of expr.matchAll(/\b([a-z_:]+)\{([^}]*)\}/g)) {
      const family = [name!, name!.replace(/_(bucket|sum|count)$/, '')].find((candidate) => families.has(candidate))
      assert.ok(family !== undefined, `${panel}: ${name} is no metric of the exposition`)
      for (const [, label] of matchers!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)) {
        assert.ok(families.get(family)!.has(label!), `${panel}: ${family} has no label ${label}`)
      }
    }
    for (const [, by] of expr.matchAll(/by \(([^)]*)\)/g)) {
      for (const label of by!.split(',').map((name) => name.trim())) {
        assert.ok([...families.values()].some((labels) => labels.has(label)), `${panel}: no metric has the label ${label}`)
      }
    }
  }
})
