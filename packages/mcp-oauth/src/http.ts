import type { FastifyBaseLogger } from 'fastify'
import { request, type Dispatcher } from 'undici'
import type { BackoffSettings } from './backoff.ts'

/** How mcp-oauth talks to the authorization server. */
export interface HttpClient {
  /** A `BoundedDispatcher`: every answer has a deadline and a size cap. */
  dispatcher: Dispatcher
  /** How long to leave the issuer alone after a failure: discovery, keys and introspection each keep their own count. */
  backoff: BackoffSettings
  log: FastifyBaseLogger
}

export interface JsonAnswer {
  status: number
  body: unknown
}

/**
 * One request to the authorization server with undici, answered as JSON (`undefined` when the
 * body is not JSON). Network failures, timeouts and oversized answers reject; an HTTP error
 * status does not.
 */
export async function fetchJson (client: HttpClient, url: string, init: { method?: 'GET' | 'POST', headers?: Record<string, string>, body?: string } = {}): Promise<JsonAnswer> {
  const response = await request(url, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...init.headers },
    body: init.body,
    dispatcher: client.dispatcher
  })
  const text = await response.body.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.statusCode, body }
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The message of anything thrown, for the log. */
export function describe (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
