import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { FST_MCP_TRANSPORT_FORBIDDEN } from './errors.ts'
import type { McpTransportSettings } from './options.ts'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1']

/** Origin verdicts kept (origin and host pairs); past it, the cache starts over. */
const MAX_VERDICTS = 256

function isLoopbackAddress (address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost' || address === '::ffff:127.0.0.1'
}

/** The host name of a `Host` header value (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`). */
function hostName (host: string): string {
  const lower = host.toLowerCase()
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1)
  const colon = lower.indexOf(':')
  // More than one colon: a bare IPv6 address, which has no port.
  return colon === -1 || lower.indexOf(':', colon + 1) !== -1 ? lower : lower.slice(0, colon)
}

function originParts (origin: string): { host: string, name: string, protocol: string } | undefined {
  try {
    const url = new URL(origin)
    return { host: url.host, name: url.hostname.toLowerCase(), protocol: url.protocol }
  } catch {
    return undefined
  }
}

/** A `Host` value as an origin of `protocol` spells it: lower case, without that scheme's default port. */
function hostAs (host: string, protocol: string): string | undefined {
  try {
    return new URL(`${protocol}//${host}`).host
  } catch {
    return undefined
  }
}

/**
 * Checks `Host` and `Origin` against DNS rebinding and cross-site requests (transports:
 * "Security Warning"; 2025-11-25: an invalid `Origin` gets 403).
 *
 * - `Origin`, when present, must be listed in `allowedOrigins`; by default it must be the
 *   endpoint's own origin, or any loopback origin while the protection is on.
 * - With the protection on, `Host` must name one of `allowedHosts` (by default the loopback
 *   names), so a page on `evil.example` that resolves to 127.0.0.1 is refused.
 */
export class OriginGuard {
  readonly #mode: McpTransportSettings['dnsRebindingProtection']
  readonly #hosts: Set<string>
  readonly #origins: Set<string> | undefined
  /** Verdicts by origin and host: a client sends the same pair on every request. Bounded. */
  readonly #verdicts = new Map<string, boolean>()
  #protecting: boolean

  constructor (settings: McpTransportSettings) {
    this.#mode = settings.dnsRebindingProtection
    this.#hosts = new Set((settings.allowedHosts ?? LOOPBACK_NAMES).map((host) => host.toLowerCase()))
    this.#origins = settings.allowedOrigins === undefined ? undefined : new Set(settings.allowedOrigins.map((origin) => origin.toLowerCase()))
    this.#protecting = this.#mode === true
  }

  /** In `auto` mode, what the server listens on decides: loopback only turns the protection on. */
  listening (addresses: ReadonlyArray<{ address: string }>): void {
    if (this.#mode === 'auto') this.#protecting = addresses.length > 0 && addresses.every(({ address }) => isLoopbackAddress(address))
    this.#verdicts.clear()
  }

  get protecting (): boolean {
    return this.#protecting
  }

  /** The `onRequest` hook of the endpoint's routes. */
  readonly hook = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const { host, origin } = request.headers
    if (this.#protecting && (host === undefined || !this.#hosts.has(hostName(host)))) {
      done(new FST_MCP_TRANSPORT_FORBIDDEN('this Host is not allowed'))
    } else if (origin !== undefined && !this.#allowsOriginCached(origin, request)) {
      done(new FST_MCP_TRANSPORT_FORBIDDEN('this Origin is not allowed'))
    } else {
      done()
    }
  }

  #allowsOriginCached (origin: string, request: FastifyRequest): boolean {
    const key = `${origin}\n${request.host}`
    let verdict = this.#verdicts.get(key)
    if (verdict === undefined) {
      verdict = this.#allowsOrigin(origin, request)
      if (this.#verdicts.size >= MAX_VERDICTS) this.#verdicts.clear()
      this.#verdicts.set(key, verdict)
    }
    return verdict
  }

  #allowsOrigin (origin: string, request: FastifyRequest): boolean {
    if (this.#origins !== undefined) return this.#origins.has('*') || this.#origins.has(origin.toLowerCase())
    const parts = originParts(origin)
    if (parts === undefined) return false
    if (parts.host === hostAs(request.host, parts.protocol)) return true
    return this.#protecting && LOOPBACK_NAMES.includes(parts.name === '::1' ? '[::1]' : parts.name)
  }
}
