import { isIPv4, isIPv6 } from 'node:net'
import { LruMap } from 'toad-cache'

export interface InvalidTokenSettings {
  /** Refused tokens an address may present per window. */
  max: number
  timeWindowMs: number
  /** Addresses remembered at once (least recently seen forgotten first). */
  cacheSize: number
}

interface Window {
  refusals: number
  resetAt: number
}

/**
 * Who a client is for this budget: its IPv4 address, or the /64 of its IPv6 address (a single
 * host is usually given a whole /64, and could otherwise change address at every request).
 */
export function addressKey (ip: string): string {
  const mapped = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  if (isIPv4(mapped)) return mapped
  const address = ip.split('%')[0] ?? ip
  if (!isIPv6(address)) return ip
  const [head = '', tail] = address.split('::')
  const groupsOf = (part: string): string[] => part === '' ? [] : part.split(':').flatMap((group) => group.includes('.') ? ['0', '0'] : [group])
  const first = groupsOf(head)
  const last = tail === undefined ? [] : groupsOf(tail)
  const groups = tail === undefined ? first : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last]
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`
}

/**
 * Refused bearer tokens counted per client address, in fixed windows. An address past its budget
 * may present no token this node has not verified before until the window ends: such a token is
 * answered 429 before any signature check or introspection call, so a flood of forged tokens
 * costs a map lookup each. Tokens verified before (cached) are not affected, and accepted tokens
 * are not counted. In memory, per node; bounded by `cacheSize` addresses.
 */
export class InvalidTokenBudget {
  readonly #settings: InvalidTokenSettings
  readonly #windows: LruMap<Window>

  constructor (settings: InvalidTokenSettings) {
    this.#settings = settings
    this.#windows = new LruMap<Window>(settings.cacheSize)
  }

  /** How long (ms) the address must wait before presenting a new token; 0 when it may now. */
  blockedFor (address: string, now: number): number {
    const window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now || window.refusals < this.#settings.max) return 0
    return window.resetAt - now
  }

  /** Counts a refused token; `true` when it is the one that spends the budget. */
  refused (address: string, now: number): boolean {
    let window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now) {
      window = { refusals: 0, resetAt: now + this.#settings.timeWindowMs }
      this.#windows.set(address, window)
    }
    window.refusals++
    return window.refusals === this.#settings.max
  }
}
