import {
  createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, timingSafeEqual,
  type KeyObject
} from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { compile } from './validation.ts'

/**
 * Sealing and opening the `requestState` of an `InputRequiredResult` (MCP 2026-07-28, multi
 * round-trip requests). The client echoes the state back with its `inputResponses`, so it is
 * attacker-controlled input: it is encrypted and authenticated (AES-256-GCM), bound to the
 * request it continues (principal, method, params digest) and short-lived.
 *
 * Wire format, every segment base64url without padding:
 *
 *     v1.<kid>.<iv>.<ciphertext><tag>
 *
 * - `v1`: the format version;
 * - `kid`: 8 characters, the first 6 bytes of SHA-256 over the derived AES key, so that opening
 *   picks its key without trying them all (a kid no key has is refused as forged);
 * - `iv`: 16 characters, 12 random bytes, fresh for every seal;
 * - the AES-256-GCM ciphertext followed by its 16-byte tag. The additional authenticated data is
 *   the ASCII prefix `v1.<kid>`; the plaintext is the JSON of
 *   `{ p: principal | null, m: method, d: paramsDigest, e: expiresAtMs, x: data }`.
 *
 * The AES key is derived from each secret with HKDF-SHA256 (empty salt, info
 * `mcp-fastify requestState v1`), once, when the codec is built.
 */

/** HKDF `info`: a new format version must change it, so that no key serves two formats. */
const KEY_INFO = 'mcp-fastify requestState v1'
const VERSION = 'v1'
const MIN_KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const DEFAULT_TTL_MS = 600_000
const DEFAULT_MAX_LENGTH = 65_536
/**
 * The whole shape in one linear-time pattern (no two adjacent parts share a character, so it
 * cannot backtrack): version, an 8-character kid, a 16-character IV, then at least the 22
 * characters of a 16-byte tag.
 */
const TOKEN = /^v1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/

/** The sealed plaintext: what crosses the process boundary, checked after decryption. */
const SealedState = Type.Object({
  p: Type.Union([Type.String(), Type.Null()]),
  m: Type.String(),
  d: Type.String(),
  e: Type.Number(),
  x: Type.Optional(Type.Unknown())
})
const sealedState = compile(SealedState)

export interface RequestStateOptions {
  /**
   * Secrets that seal and open requestState. The first seals; all open (rotation: put the new
   * key first, keep the old ones until their states expire). Each at least 32 bytes (a string is
   * taken as UTF-8): random bytes, such as `openssl rand -base64 32`, not a password. Default:
   * one random 32-byte key drawn when the codec is built, so a state opens only in the codec that
   * sealed it — fine for one process, unfit for a cluster (a retry landing on another node, or on
   * this one after a restart, would be refused).
   */
  keys?: ReadonlyArray<string | Uint8Array>
  /** How long a sealed state is accepted, in ms (default 600_000). */
  ttlMs?: number
  /**
   * Largest requestState accepted, in characters of its string form (default 65_536); larger is
   * refused as malformed before any crypto, and `seal` throws rather than produce one.
   */
  maxLength?: number
}

/** What a state is bound to: the request it continues. */
export interface StateBinding {
  /** Who asked (an auth plugin's principal); `undefined` = anonymous. */
  principal: string | undefined
  /** The method of the request, e.g. `'tools/call'`. */
  method: string
  /** The request's {@link paramsDigest}. */
  paramsDigest: string
}

/**
 * What `open` found. The reasons, in the order they are checked:
 * - `malformed`: not a string, longer than `maxLength`, not `v1.<kid>.<iv>.<ciphertext>`, not
 *   strict base64url (a character outside the alphabet, a non-canonical last character), or
 *   authentic but not the plaintext this module seals;
 * - `forged`: no key has its kid, or authentication failed (tampered, truncated, another key);
 * - `foreign`: authentic, but sealed for another principal, method or params digest;
 * - `expired`: authentic and for this request, but its time-to-live has lapsed.
 */
export type OpenResult<T> =
  | { ok: true, data: T }
  | { ok: false, reason: 'malformed' | 'forged' | 'expired' | 'foreign' }

interface SealingKey {
  readonly key: KeyObject
  readonly kid: string
  /** `v1.<kid>`: the prefix of every state sealed with this key, and (as bytes) its GCM additional data. */
  readonly prefix: string
  readonly aad: Buffer
}

function bytesOf (secret: unknown, index: number): Uint8Array {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof Uint8Array) return secret
  throw new TypeError(`requestState keys[${index}] must be a string or a Uint8Array`)
}

function sealingKey (secret: Uint8Array): SealingKey {
  const raw = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32))
  const kid = createHash('sha256').update(raw).digest().subarray(0, 6).toString('base64url')
  const prefix = `${VERSION}.${kid}`
  return { key: createSecretKey(raw), kid, prefix, aad: Buffer.from(prefix, 'ascii') }
}

/**
 * Strict base64url: the pattern already admits only the alphabet; decoding and encoding again
 * must give back the same text, which refuses a length Node would silently drop a character from
 * and a last character whose unused bits are not zero (two spellings of the same bytes).
 */
function decode (text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

/** Equal strings, in time that depends on their lengths only. */
function same (a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Seals the state of a multi round-trip request into an opaque `requestState` and opens it again
 * on the retry. Build one per server: keys are derived here, once, and each seal or open costs one
 * AES-GCM pass over the state.
 *
 * Binding: the principal, method and params digest travel inside the ciphertext and are compared
 * with the retry's after decryption (so a mismatch is told apart from a forgery, as `foreign`).
 * The principal and digest are compared in constant time; the method is a public name.
 *
 * A state is bounded in time and in whom and what it serves, not in how often: it can be
 * presented again until it expires. What must happen at most once (a redemption, a payment) must
 * be recorded server-side, as the specification requires.
 */
export class RequestStateCodec {
  readonly #keys: ReadonlyMap<string, SealingKey>
  readonly #sealer: SealingKey
  readonly #ttlMs: number
  readonly #maxLength: number

  /**
   * @throws {TypeError} `keys` is not an array, is empty, or holds something other than a string or a Uint8Array.
   * @throws {RangeError} a key is shorter than 32 bytes, or `ttlMs`/`maxLength` is not a positive number.
   */
  constructor (options: RequestStateOptions = {}) {
    const { keys, ttlMs = DEFAULT_TTL_MS, maxLength = DEFAULT_MAX_LENGTH } = options
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError('requestState ttlMs must be a positive, finite number of milliseconds')
    }
    if (!Number.isSafeInteger(maxLength) || maxLength <= 0) {
      throw new RangeError('requestState maxLength must be a positive integer')
    }
    let secrets: Uint8Array[]
    if (keys === undefined) {
      secrets = [randomBytes(MIN_KEY_BYTES)]
    } else {
      if (!Array.isArray(keys)) throw new TypeError('requestState keys must be an array')
      if (keys.length === 0) throw new TypeError('requestState keys must hold at least one key (the first seals)')
      secrets = keys.map((secret: unknown, index) => {
        const bytes = bytesOf(secret, index)
        if (bytes.byteLength < MIN_KEY_BYTES) {
          throw new RangeError(`requestState keys[${index}] has ${bytes.byteLength} bytes; at least ${MIN_KEY_BYTES} are needed`)
        }
        return bytes
      })
    }
    const derived = secrets.map(sealingKey)
    const byKid = new Map<string, SealingKey>()
    // A key given twice derives the same kid; the first occurrence stands.
    for (const key of derived) if (!byKid.has(key.kid)) byKid.set(key.kid, key)
    this.#keys = byKid
    this.#sealer = derived[0] as SealingKey
    this.#ttlMs = ttlMs
    this.#maxLength = maxLength
  }

  /**
   * Seals `data` for the request `binding` names, valid for `ttlMs` from `now`. `data` goes
   * through JSON (a Date comes back as a string, `undefined` members vanish).
   *
   * @throws {TypeError} `data` cannot be written as JSON (a BigInt, a cycle).
   * @throws {RangeError} the sealed state would be longer than `maxLength`: keep less in it.
   */
  seal (binding: StateBinding, data: unknown, now: number = Date.now()): string {
    const { key, prefix, aad } = this.#sealer
    const plaintext = JSON.stringify({
      p: binding.principal ?? null,
      m: binding.method,
      d: binding.paramsDigest,
      e: now + this.#ttlMs,
      x: data
    })
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(aad)
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    const token = `${prefix}.${iv.toString('base64url')}.${sealed.toString('base64url')}`
    if (token.length > this.#maxLength) {
      throw new RangeError(`requestState would be ${token.length} characters, more than maxLength (${this.#maxLength})`)
    }
    return token
  }

  /**
   * Opens a `requestState` received on a retry, if it was sealed by one of this codec's keys for
   * the same principal, method and params digest, and has not expired. Never throws: whatever
   * the client sent, the answer is a result. `T` is not checked; the data is what `seal` was
   * given, by a holder of a key.
   */
  open<T = unknown> (token: unknown, binding: StateBinding, now: number = Date.now()): OpenResult<T> {
    if (typeof token !== 'string' || token.length > this.#maxLength) return { ok: false, reason: 'malformed' }
    const match = TOKEN.exec(token)
    if (match === null) return { ok: false, reason: 'malformed' }
    const [, kid = '', ivText = '', sealedText = ''] = match
    // 8 and 16 characters encode 6 and 12 bytes exactly: only the last segment can be non-canonical.
    const sealed = decode(sealedText)
    if (sealed === undefined || sealed.length <= TAG_BYTES) return { ok: false, reason: 'malformed' }
    const key = this.#keys.get(kid)
    if (key === undefined) return { ok: false, reason: 'forged' }

    let plaintext: string
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES })
      decipher.setAAD(key.aad)
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES))
      plaintext = Buffer.concat([head, decipher.final()]).toString('utf8')
    } catch {
      return { ok: false, reason: 'forged' }
    }

    let state: unknown
    try {
      state = JSON.parse(plaintext)
    } catch {
      return { ok: false, reason: 'malformed' }
    }
    if (!sealedState.check(state)) return { ok: false, reason: 'malformed' }

    const principal = binding.principal ?? null
    const samePrincipal = state.p === null || principal === null ? state.p === principal : same(state.p, principal)
    if (!samePrincipal || state.m !== binding.method || !same(state.d, binding.paramsDigest)) {
      return { ok: false, reason: 'foreign' }
    }
    if (now > state.e) return { ok: false, reason: 'expired' }
    return { ok: true, data: state.x as T }
  }
}

/** Params members that carry the answer or the envelope, not the question. */
const NOT_THE_QUESTION = new Set(['_meta', 'inputResponses', 'requestState'])

/**
 * Canonical JSON: what `JSON.stringify` writes (`toJSON` honoured, `undefined`, functions and
 * symbols dropped from objects and written `null` in arrays, non-finite numbers `null`), with
 * object keys sorted by UTF-16 code units at every depth and no whitespace. `undefined` for a
 * value that JSON cannot hold.
 */
function canonical (value: unknown, key: string, ancestors: object[]): string | undefined {
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON (key: string): unknown }).toJSON(key)
  }
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (ancestors.includes(value)) throw new TypeError('paramsDigest: params hold a cycle')
  ancestors.push(value)
  let text: string
  if (Array.isArray(value)) {
    text = `[${value.map((item, index) => canonical(item, String(index), ancestors) ?? 'null').join(',')}]`
  } else {
    const members: string[] = []
    for (const name of Object.keys(value).sort()) {
      const member = canonical((value as Record<string, unknown>)[name], name, ancestors)
      if (member !== undefined) members.push(`${JSON.stringify(name)}:${member}`)
    }
    text = `{${members.join(',')}}`
  }
  ancestors.pop()
  return text
}

/**
 * A digest of what identifies a request's question: its params without `_meta`,
 * `inputResponses` and `requestState` (at the top level; the same names deeper down are part of
 * the question), as canonical JSON (object keys sorted, recursively), SHA-256, base64url
 * (43 characters). Absent params digest as `{}`.
 *
 * @throws {TypeError} params hold a cycle or a BigInt (never so for params parsed from JSON).
 */
export function paramsDigest (params: Record<string, unknown> | undefined): string {
  // No prototype: a `__proto__` member (JSON.parse makes it an own property) stays a member.
  const question: Record<string, unknown> = Object.create(null)
  if (params !== undefined) {
    for (const name of Object.keys(params)) {
      if (!NOT_THE_QUESTION.has(name)) question[name] = params[name]
    }
  }
  return createHash('sha256').update(canonical(question, '', []) ?? '{}').digest('base64url')
}
