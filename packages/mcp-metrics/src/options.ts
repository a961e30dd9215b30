import { explainSettings } from '@mcp-fastify/mcp-protocol'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { onRequestHookHandler } from 'fastify'
import type { Registry } from 'prom-client'
import { FST_MCP_METRICS_INVALID_OPTIONS } from './errors.ts'

/** The buckets the OpenTelemetry MCP conventions give `mcp.server.operation.duration`, in seconds. */
export const OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
/** Sessions live minutes to hours (30 min idle by default): up to a day, in seconds. */
export const SESSION_BUCKETS = [1, 10, 60, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400]
/** Tasks run seconds to an hour (their default TTL): up to a day, in seconds. */
export const TASK_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400]
/** Message sizes, in bytes, up to the transport's default body limit (4 MiB). */
export const SIZE_BUCKETS = [128, 512, 2048, 8192, 32768, 131072, 524288, 2097152, 4194304]

const RoutePath = (path: string) => Type.Union([Type.String({ pattern: '^/' }), Type.Literal(false)], { default: path })
const Buckets = (defaults: number[]) => Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1, default: defaults })

const LoadSheddingSchema = Type.Object({
  /** Mean event-loop delay (ms) over a sample interval past which new MCP work is refused; 0: not checked. */
  maxEventLoopDelay: Type.Integer({ minimum: 0, default: 1000 }),
  /** Event-loop utilization (0 to 1) past which new MCP work is refused; 0: not checked. */
  maxEventLoopUtilization: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  /** Heap used (bytes) past which new MCP work is refused; 0: not checked. */
  maxHeapUsedBytes: Type.Integer({ minimum: 0, default: 0 }),
  /** Resident set size (bytes) past which new MCP work is refused; 0: not checked. */
  maxRssBytes: Type.Integer({ minimum: 0, default: 0 }),
  /** `Retry-After` (seconds) of the 503 answers. */
  retryAfter: Type.Integer({ minimum: 1, default: 10 }),
  /** How often the pressure is sampled (ms). */
  sampleInterval: Type.Integer({ minimum: 10, default: 1000 })
}, { additionalProperties: false })

export const McpMetricsSettingsSchema = Type.Object({
  /** Route of the Prometheus exposition; `false`: no route (serve `app.mcpMetrics.metrics()` yourself). */
  metricsPath: RoutePath('/metrics'),
  /** Liveness route; `false`: none. */
  healthPath: RoutePath('/health'),
  /** Readiness route (session store, pressure, closing); `false`: none. */
  readyPath: RoutePath('/ready'),
  /** A readiness check that has not answered after this long (ms) has failed. */
  readyTimeoutMs: Type.Integer({ minimum: 1, default: 2000 }),
  /** Spans through `@opentelemetry/api` (free while no SDK is registered). */
  tracing: Type.Boolean({ default: true }),
  /** prom-client's process and Node.js metrics (`process_*`, `nodejs_*`) in the registry too. */
  defaultMetrics: Type.Boolean({ default: false }),
  /** Buckets (s) of `mcp_server_operation_duration_seconds`. */
  operationBuckets: Buckets(OPERATION_BUCKETS),
  /** Buckets (s) of `mcp_server_session_duration_seconds`. */
  sessionBuckets: Buckets(SESSION_BUCKETS),
  /** Buckets (bytes) of the request and response size histograms. */
  sizeBuckets: Buckets(SIZE_BUCKETS),
  /** Buckets (s) of `mcp_server_task_duration_seconds`. */
  taskBuckets: Buckets(TASK_BUCKETS),
  /** Distinct tool names (and prompt names) kept as label values; later ones are counted as `_OTHER`. */
  maxNames: Type.Integer({ minimum: 1, default: 500 }),
  /** Refuse new MCP work with 503 while the process is under pressure (@fastify/under-pressure). */
  loadShedding: Type.Union([Type.Literal(false), LoadSheddingSchema], { default: false })
}, { additionalProperties: false })

export type McpMetricsSettings = Static<typeof McpMetricsSettingsSchema>
export type LoadSheddingSettings = Static<typeof LoadSheddingSchema>

/** A readiness check: resolves when the dependency answers, rejects (with the reason) when it does not. */
export type ReadyCheck = () => Promise<unknown>

type SettingsInput = Omit<Partial<McpMetricsSettings>, 'loadShedding'> & {
  loadShedding?: boolean | Partial<LoadSheddingSettings>
}

export interface McpMetricsOptions extends SettingsInput {
  /** Where the metrics are registered (default: a private `Registry`). */
  registry?: Registry
  /** Hooks run before the metrics route answers (authentication, an IP allow-list). */
  onRequest?: onRequestHookHandler | onRequestHookHandler[]
  /** More readiness checks, by name, beside the session store's. */
  readyChecks?: Record<string, ReadyCheck>
}

/** Defaults applied and checked once, at register time. */
export function resolveSettings ({ loadShedding, ...options }: SettingsInput): McpMetricsSettings {
  const input = { ...structuredClone(options), loadShedding: loadShedding === true ? {} : loadShedding }
  const settings = Value.Default(McpMetricsSettingsSchema, input) as McpMetricsSettings
  if (!Value.Check(McpMetricsSettingsSchema, settings)) {
    throw new FST_MCP_METRICS_INVALID_OPTIONS(explainSettings(McpMetricsSettingsSchema, settings))
  }
  for (const name of ['operationBuckets', 'sessionBuckets', 'sizeBuckets', 'taskBuckets'] as const) {
    const buckets = settings[name]
    if (buckets.some((bound, index) => index > 0 && bound <= buckets[index - 1]!)) {
      throw new FST_MCP_METRICS_INVALID_OPTIONS(`/${name}: buckets must be strictly increasing`)
    }
  }
  const paths = [settings.metricsPath, settings.healthPath, settings.readyPath].filter((path) => path !== false)
  if (new Set(paths).size !== paths.length) {
    throw new FST_MCP_METRICS_INVALID_OPTIONS('metricsPath, healthPath and readyPath must differ')
  }
  return settings
}
