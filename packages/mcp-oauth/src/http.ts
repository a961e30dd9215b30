import { request, type Dispatcher } from 'undici'

export interface HttpClient {
  dispatcher: Dispatcher | undefined
  timeoutMs: number
}

export interface JsonAnswer {
  status: number
  body: unknown
}

/**
 * One request to the authorization server with undici (through the injected dispatcher),
 * answered as JSON. Network failures and timeouts reject; an HTTP error status does not.
 */
export async function fetchJson (client: HttpClient, url: string, init: { method?: 'GET' | 'POST', headers?: Record<string, string>, body?: string } = {}): Promise<JsonAnswer> {
  const signal = AbortSignal.timeout(client.timeoutMs)
  const response = await request(url, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...init.headers },
    body: init.body,
    signal,
    dispatcher: client.dispatcher,
    headersTimeout: client.timeoutMs,
    bodyTimeout: client.timeoutMs
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
