import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client'
import { FST_MCP_METRICS_INVALID_OPTIONS } from './errors.ts'
import { FastHistogram } from './histogram.ts'
import type { McpMetricsSettings } from './options.ts'

/**
 * The label names, after the OpenTelemetry attribute names (dots become underscores). Session ids,
 * request ids, principals, rate-limit keys and resource URIs are never labels: each would make a
 * series per value.
 */
export const TARGET_LABELS = ['mcp_method_name', 'gen_ai_tool_name', 'gen_ai_prompt_name'] as const

/**
 * The instruments, in one private or given prom-client `Registry`. Names follow the OpenTelemetry
 * semantic conventions for MCP where they exist (`mcp.server.operation.duration`,
 * `mcp.server.session.duration`), in their Prometheus form, and the same style where they do not.
 */
export class Instruments {
  readonly operationDuration: FastHistogram
  readonly requestSize: FastHistogram
  readonly responseSize: FastHistogram
  /** MCP requests being handled: a plain number, read at scrape time. */
  activeOperations = 0
  readonly sessionsActive: Gauge<string>
  readonly sessionsOpened: Counter<string>
  readonly sessionsClosed: Counter<string>
  readonly sessionDuration: Histogram<string>
  readonly streamsActive: Gauge<string>
  readonly streamsOpened: Counter<string>
  readonly streamResumptions: Counter<string>
  readonly dropped: Counter<string>
  readonly failures: Counter<string>
  readonly replayedEvents: Counter<string>
  readonly httpRefused: Counter<string>
  readonly authFailures: Counter<string>
  readonly rateLimited: Counter<string>
  /** Tasks running on this node (tasks extension): a plain number, read at scrape time. */
  tasksRunning = 0
  readonly tasksCreated: Counter<string>
  readonly tasksFinished: Counter<string>
  readonly taskDuration: Histogram<string>
  readonly #registry: Registry
  readonly #names: string[] = []

  constructor (registry: Registry, settings: McpMetricsSettings) {
    this.#registry = registry
    const registers = [registry]
    const add = <M extends Metric<string>>(metric: () => M): M => {
      let created: M
      try {
        created = metric()
      } catch (error) {
        this.remove()
        // prom-client refuses a second metric of the same name: the registry already has ours.
        throw new FST_MCP_METRICS_INVALID_OPTIONS(`registry: ${error instanceof Error ? error.message : String(error)}`)
      }
      this.#names.push((created as unknown as { name: string }).name)
      return created
    }

    this.operationDuration = add(() => new FastHistogram({
      name: 'mcp_server_operation_duration_seconds',
      help: 'MCP requests handled, by method, tool or prompt, and error type (mcp.server.operation.duration)',
      labelNames: [...TARGET_LABELS, 'error_type'],
      buckets: settings.operationBuckets,
      registers
    }))
    const activeOperations = (): number => this.activeOperations
    add(() => new Gauge({
      name: 'mcp_server_operations_active',
      help: 'MCP requests being handled right now',
      registers,
      collect () { this.set(activeOperations()) }
    }))
    this.requestSize = add(() => new FastHistogram({
      name: 'mcp_server_request_size_bytes',
      help: 'Size of the HTTP body that carried one MCP request (Content-Length; batches are not counted)',
      labelNames: TARGET_LABELS,
      buckets: settings.sizeBuckets,
      registers
    }))
    this.responseSize = add(() => new FastHistogram({
      name: 'mcp_server_response_size_bytes',
      help: 'Size of the JSON answer to one MCP request (bytes of the body; SSE answers and batches are not counted)',
      labelNames: TARGET_LABELS,
      buckets: settings.sizeBuckets,
      registers
    }))
    this.sessionsActive = add(() => new Gauge({
      name: 'mcp_server_sessions_active',
      help: 'Sessions this process holds now (created here, or taken up from a shared store)',
      registers
    }))
    this.sessionsOpened = add(() => new Counter({
      name: 'mcp_server_sessions_opened_total',
      help: 'Sessions created (initialize), by negotiated protocol version',
      labelNames: ['mcp_protocol_version'],
      registers
    }))
    this.sessionsClosed = add(() => new Counter({
      name: 'mcp_server_sessions_closed_total',
      help: 'Sessions ended, by reason (deleted by the client, or expired)',
      labelNames: ['reason'],
      registers
    }))
    this.sessionDuration = add(() => new Histogram({
      name: 'mcp_server_session_duration_seconds',
      help: 'How long sessions lived, by how they ended (mcp.server.session.duration)',
      labelNames: ['reason'],
      buckets: settings.sessionBuckets,
      registers
    }))
    this.streamsActive = add(() => new Gauge({
      name: 'mcp_server_sse_streams_active',
      help: 'Open SSE connections, by kind (post: an answer to a POST; get: a GET stream; legacy: HTTP+SSE)',
      labelNames: ['kind'],
      registers
    }))
    this.streamsOpened = add(() => new Counter({
      name: 'mcp_server_sse_streams_opened_total',
      help: 'SSE connections opened, by kind',
      labelNames: ['kind'],
      registers
    }))
    this.streamResumptions = add(() => new Counter({
      name: 'mcp_server_stream_resumptions_total',
      help: 'Streams resumed with Last-Event-ID',
      registers
    }))
    this.replayedEvents = add(() => new Counter({
      name: 'mcp_server_stream_replayed_events_total',
      help: 'Events written again from the event log when streams were resumed',
      registers
    }))
    this.httpRefused = add(() => new Counter({
      name: 'mcp_server_http_refused_total',
      help: 'HTTP requests to the MCP endpoint refused before any MCP handling, by status, error code and method',
      labelNames: ['http_response_status_code', 'error_type', 'http_request_method'],
      registers
    }))
    this.authFailures = add(() => new Counter({
      name: 'mcp_server_auth_failures_total',
      help: 'Requests refused by the authorization layer, by reason',
      labelNames: ['reason', 'http_response_status_code'],
      registers
    }))
    this.rateLimited = add(() => new Counter({
      name: 'mcp_server_rate_limited_total',
      help: 'Requests refused with 429, by tool (empty: the endpoint budget)',
      labelNames: ['gen_ai_tool_name'],
      registers
    }))
    this.dropped = add(() => new Counter({
      name: 'mcp_server_dropped_values_total',
      help: 'Malformed values from other processes dropped (bus messages, records and events read back from Redis), by source and kind',
      labelNames: ['source', 'what'],
      registers
    }))
    this.failures = add(() => new Counter({
      name: 'mcp_server_internal_failures_total',
      help: 'Failures where no client waited for the answer (a notification not published, a message not forwarded), by component and action; each is also logged',
      labelNames: ['component', 'action'],
      registers
    }))
    this.tasksCreated = add(() => new Counter({
      name: 'mcp_server_tasks_created_total',
      help: 'Tasks created on this node (tasks extension: a tools/call answered with a task), by tool',
      labelNames: ['gen_ai_tool_name'],
      registers
    }))
    this.tasksFinished = add(() => new Counter({
      name: 'mcp_server_tasks_finished_total',
      help: 'Tasks ended, by tool, final status (completed, failed, cancelled) and error type (tool_error, a JSON-RPC code, expired, shutdown, node_gone: failed by this node after the node running it died)',
      labelNames: ['gen_ai_tool_name', 'status', 'error_type'],
      registers
    }))
    this.taskDuration = add(() => new Histogram({
      name: 'mcp_server_task_duration_seconds',
      help: 'How long tasks ran on this node, from creation to their end, by tool and final status',
      labelNames: ['gen_ai_tool_name', 'status'],
      buckets: settings.taskBuckets,
      registers
    }))
    const tasksRunning = (): number => this.tasksRunning
    add(() => new Gauge({
      name: 'mcp_server_tasks_running',
      help: 'Tasks running on this node right now',
      registers,
      collect () { this.set(tasksRunning()) }
    }))
    if (settings.defaultMetrics && registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
      collectDefaultMetrics({ register: registry })
    }
  }

  /** Takes our metrics out of the registry (a given registry outlives the app). */
  remove (): void {
    for (const name of this.#names) this.#registry.removeSingleMetric(name)
    this.#names.length = 0
  }
}
