import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { RequestStateCodec, paramsDigest, type StateBinding } from '../src/request-state.ts'

const KEY = 'k'.repeat(32)
const OLD_KEY = randomBytes(32)
const NEW_KEY = randomBytes(32)
const T0 = 1_750_000_000_000

const params = { name: 'deploy', arguments: { env: 'prod', replicas: 3 } }
const binding: StateBinding = { principal: 'alice', method: 'tools/call', paramsDigest: paramsDigest(params) }
const state = { step: 2, answers: { region: 'eu-west-1' } }

/** The four dot-separated segments of a sealed state. */
function parts (token: string): [string, string, string, string] {
  const segments = token.split('.')
  assert.equal(segments.length, 4)
  return segments as [string, string, string, string]
}

/** `text` with the byte at `index` of its base64url decoding flipped, encoded again. */
function flipByte (text: string, index: number): string {
  const bytes = Buffer.from(text, 'base64url')
  bytes[index] = (bytes[index] ?? 0) ^ 0x01
  return bytes.toString('base64url')
}

/** A token whose segment `at` is replaced by `fn(segment)`. */
function tamper (token: string, at: number, fn: (segment: string) => string): string {
  const segments = parts(token)
  segments[at] = fn(segments[at] as string)
  return segments.join('.')
}

/** The documented format, written independently: the AES key HKDF derives from a secret. */
function derive (secret: string | Uint8Array): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
  return Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), 'mcp-fastify requestState v1', 32))
}

function kidOf (key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8)
}

/** Seals any plaintext the documented way, as a holder of the secret could. */
function sealRaw (secret: string | Uint8Array, plaintext: string): string {
  const key = derive(secret)
  const prefix = `v1.${kidOf(key)}`
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(prefix))
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return `${prefix}.${iv.toString('base64url')}.${sealed.toString('base64url')}`
}

test('a sealed state opens for the same request, with its data', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const token = codec.seal(binding, state, T0)
  assert.match(token, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/)
  assert.deepEqual(codec.open(token, binding, T0 + 1000), { ok: true, data: state })
  // Another codec with the same key (another node of a cluster) opens it too.
  assert.deepEqual(new RequestStateCodec({ keys: [KEY] }).open(token, binding, T0), { ok: true, data: state })
})

test('an anonymous request\'s state opens for an anonymous retry; data goes through JSON', () => {
  const codec = new RequestStateCodec()
  const anonymous = { ...binding, principal: undefined }
  const token = codec.seal(anonymous, { at: new Date(0), gone: undefined, list: [1, 'two', null] })
  assert.deepEqual(codec.open(token, anonymous), { ok: true, data: { at: '1970-01-01T00:00:00.000Z', list: [1, 'two', null] } })
  assert.deepEqual(codec.open(codec.seal(anonymous, undefined), anonymous), { ok: true, data: undefined })
})

test('a sealed state hides its content, and every seal is different (fresh IV)', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const secret = { password: 'hunter2-hunter2-hunter2' }
  const a = codec.seal(binding, secret, T0)
  const b = codec.seal(binding, secret, T0)
  assert.notEqual(a, b)
  assert.notEqual(parts(a)[2], parts(b)[2])
  for (const token of [a, b]) {
    const bytes = Buffer.from(parts(token)[3], 'base64url').toString('latin1')
    assert.ok(!bytes.includes('hunter2') && !bytes.includes('alice') && !bytes.includes('tools/call'))
    assert.ok(!token.includes(Buffer.from('hunter2').toString('base64url').slice(0, 8)))
  }
})

test('the wire format is as documented: HKDF-derived key, kid, prefix as AAD, bound JSON plaintext', () => {
  const codec = new RequestStateCodec({ keys: [KEY], ttlMs: 5000 })
  const token = codec.seal(binding, state, T0)
  const [version, kid, iv, sealed] = parts(token)
  const key = derive(KEY)
  assert.equal(version, 'v1')
  assert.equal(kid, kidOf(key))
  const bytes = Buffer.from(sealed, 'base64url')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(`v1.${kid}`))
  decipher.setAuthTag(bytes.subarray(-16))
  const plaintext = Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString('utf8')
  assert.deepEqual(JSON.parse(plaintext), { p: 'alice', m: 'tools/call', d: binding.paramsDigest, e: T0 + 5000, x: state })
  // And a state sealed that way opens: the format is all there is to it.
  const written = sealRaw(KEY, JSON.stringify({ p: 'alice', m: 'tools/call', d: binding.paramsDigest, e: T0 + 5000, x: 7 }))
  assert.deepEqual(codec.open(written, binding, T0), { ok: true, data: 7 })
})

test('a tampered ciphertext, tag, IV or kid is refused as forged', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const token = codec.seal(binding, state, T0)
  const length = Buffer.from(parts(token)[3], 'base64url').length
  const cases = {
    'first ciphertext byte': tamper(token, 3, (s) => flipByte(s, 0)),
    'last ciphertext byte': tamper(token, 3, (s) => flipByte(s, length - 17)),
    'first tag byte': tamper(token, 3, (s) => flipByte(s, length - 16)),
    'last tag byte': tamper(token, 3, (s) => flipByte(s, length - 1)),
    IV: tamper(token, 2, (s) => flipByte(s, 5)),
    'kid of no key': tamper(token, 1, (s) => flipByte(s, 0)),
    'kid of another key': tamper(token, 1, () => kidOf(derive(NEW_KEY))),
    'another key\'s state': new RequestStateCodec({ keys: [NEW_KEY] }).seal(binding, state, T0).replace(/^v1\.[^.]+/, parts(token)[0] + '.' + parts(token)[1]),
    'ciphertext dropped to the tag': tamper(token, 3, (s) => Buffer.from(s, 'base64url').subarray(0, 17).toString('base64url')),
    'last 4 characters cut': token.slice(0, -4)
  }
  for (const [name, forged] of Object.entries(cases)) {
    assert.notEqual(forged, token, name)
    assert.deepEqual(codec.open(forged, binding, T0), { ok: false, reason: 'forged' }, name)
  }
})

test('a state with "-TAMPERED" appended (the conformance suite\'s test) is refused', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  // '-' and 'TAMPERED' are base64url characters. Where the longer text is canonical base64url
  // (it encodes its bytes the one way) it decodes to more bytes, so the tag moves: forged.
  // Otherwise it is malformed; which one depends on the ciphertext's length, so try several.
  const reasons = new Set<string>()
  for (let size = 0; size < 12; size++) {
    const token = codec.seal(binding, 'x'.repeat(size), T0)
    const sealed = parts(token)[3] + '-TAMPERED'
    const canonical = Buffer.from(sealed, 'base64url').toString('base64url') === sealed
    const result = codec.open(token + '-TAMPERED', binding, T0)
    assert.deepEqual(result, { ok: false, reason: canonical ? 'forged' : 'malformed' })
    if (!result.ok) reasons.add(result.reason)
  }
  assert.deepEqual([...reasons].sort(), ['forged', 'malformed'])
})

test('text outside strict base64url is malformed, even where a lenient decoder would read the same bytes', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  // 1 byte of data: the ciphertext has a length that leaves unused bits in its last character.
  let token = codec.seal(binding, state, T0)
  for (let i = 0; parts(token)[3].length % 4 === 0; i++) token = codec.seal(binding, 'x'.repeat(i), T0)
  const sealed = parts(token)[3]
  const last = sealed.at(-1) as string
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  // Same bytes for Buffer.from(..., 'base64url'): only the unused low bits differ.
  const sameBytes = alphabet[alphabet.indexOf(last) ^ 1] as string
  const nonCanonical = sealed.slice(0, -1) + sameBytes
  assert.deepEqual(Buffer.from(nonCanonical, 'base64url'), Buffer.from(sealed, 'base64url'))

  const cases = {
    'non-canonical last character': tamper(token, 3, () => nonCanonical),
    'a character Node would skip appended': token + '!',
    'a space inside': tamper(token, 3, (s) => s.slice(0, 10) + ' ' + s.slice(10)),
    'base64 padding': tamper(token, 3, (s) => s + '='.repeat((4 - s.length % 4) % 4 || 4)),
    'base64 (not url) alphabet': tamper(token, 3, (s) => s.replace(/^./, '+')),
    'a length no base64 has': tamper(token, 3, (s) => s + 'A'.repeat((5 - s.length % 4) % 4 || 4)),
    'a newline at the end': token + '\n',
    'a character before': 'x' + token,
    'a space before': ' ' + token,
    'another version': token.replace(/^v1/, 'v2'),
    'no version': token.slice(3),
    'a short kid': tamper(token, 1, (s) => s.slice(1)),
    'a long IV': tamper(token, 2, (s) => s + 'AAAA'),
    'a fifth segment': token + '.AAAA',
    'three segments': parts(token).slice(0, 3).join('.'),
    'a ciphertext shorter than a tag': tamper(token, 3, (s) => s.slice(0, 21)),
    'a ciphertext of the tag alone': tamper(token, 3, (s) => Buffer.from(s, 'base64url').subarray(-16).toString('base64url')),
    'nothing but the prefix': `${parts(token)[0]}.${parts(token)[1]}`,
    'the empty string': ''
  }
  for (const [name, malformed] of Object.entries(cases)) {
    assert.notEqual(malformed, token, name)
    assert.deepEqual(codec.open(malformed, binding, T0), { ok: false, reason: 'malformed' }, name)
  }
  assert.equal(codec.open(token, binding, T0).ok, true)
})

test('what is not a string is malformed, and open never throws', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const token = codec.seal(binding, state, T0)
  for (const value of [undefined, null, 42, true, {}, [token], Buffer.from(token), Object(token), Symbol('x'), () => token]) {
    assert.deepEqual(codec.open(value, binding, T0), { ok: false, reason: 'malformed' })
  }
})

test('a state longer than maxLength is malformed before any crypto; seal refuses to make one', () => {
  const token = new RequestStateCodec({ keys: [KEY] }).seal(binding, state, T0)
  assert.equal(new RequestStateCodec({ keys: [KEY], maxLength: token.length }).open(token, binding, T0).ok, true)
  const tight = new RequestStateCodec({ keys: [KEY], maxLength: token.length - 1 })
  assert.deepEqual(tight.open(token, binding, T0), { ok: false, reason: 'malformed' })
  assert.throws(() => tight.seal(binding, state, T0), { name: 'RangeError', message: /maxLength/ })

  const codec = new RequestStateCodec({ keys: [KEY] })
  assert.deepEqual(codec.open('A'.repeat(65_537), binding, T0), { ok: false, reason: 'malformed' })
  assert.deepEqual(codec.open(token + 'A'.repeat(65_536), binding, T0), { ok: false, reason: 'malformed' })
  assert.throws(() => codec.seal(binding, 'x'.repeat(65_536), T0), RangeError)
})

test('a state is accepted for ttlMs and refused as expired after', () => {
  const codec = new RequestStateCodec({ keys: [KEY], ttlMs: 5000 })
  const token = codec.seal(binding, state, T0)
  assert.equal(codec.open(token, binding, T0 + 5000).ok, true)
  assert.deepEqual(codec.open(token, binding, T0 + 5001), { ok: false, reason: 'expired' })

  const defaults = new RequestStateCodec({ keys: [KEY] })
  const lasting = defaults.seal(binding, state, T0)
  assert.equal(defaults.open(lasting, binding, T0 + 600_000).ok, true)
  assert.deepEqual(defaults.open(lasting, binding, T0 + 600_001), { ok: false, reason: 'expired' })
  // The TTL is the sealer's: a codec with a longer one does not extend it.
  assert.deepEqual(new RequestStateCodec({ keys: [KEY], ttlMs: 3_600_000 }).open(token, binding, T0 + 5001), { ok: false, reason: 'expired' })
})

test('a state presented for another principal, method or params is refused as foreign', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const token = codec.seal(binding, state, T0)
  const others: Record<string, StateBinding> = {
    'another principal': { ...binding, principal: 'mallory' },
    'a principal that extends it': { ...binding, principal: 'alice2' },
    'no principal': { ...binding, principal: undefined },
    'another method': { ...binding, method: 'prompts/get' },
    'other arguments': { ...binding, paramsDigest: paramsDigest({ ...params, arguments: { env: 'prod', replicas: 4 } }) },
    'another tool': { ...binding, paramsDigest: paramsDigest({ ...params, name: 'destroy' }) },
    'a digest of another length': { ...binding, paramsDigest: binding.paramsDigest.slice(1) }
  }
  for (const [name, other] of Object.entries(others)) {
    assert.deepEqual(codec.open(token, other, T0), { ok: false, reason: 'foreign' }, name)
  }
  const anonymous = codec.seal({ ...binding, principal: undefined }, state, T0)
  assert.deepEqual(codec.open(anonymous, binding, T0), { ok: false, reason: 'foreign' })
  assert.deepEqual(codec.open(anonymous, { ...binding, principal: '' }, T0), { ok: false, reason: 'foreign' })
  // Foreign is told before expired: another principal's replay is what a log should show.
  assert.deepEqual(codec.open(token, others['another principal'] as StateBinding, T0 + 3_600_000), { ok: false, reason: 'foreign' })
})

test('a state authentic but not of this format (a key holder\'s other use) is malformed', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const good = { p: 'alice', m: 'tools/call', d: binding.paramsDigest, e: T0 + 1000 }
  for (const plaintext of ['not json', '[]', 'null', JSON.stringify({ ...good, e: String(T0 + 1000) }), JSON.stringify({ ...good, p: 5 }), JSON.stringify({ m: 'tools/call' })]) {
    assert.deepEqual(codec.open(sealRaw(KEY, plaintext), binding, T0), { ok: false, reason: 'malformed' }, plaintext)
  }
  assert.deepEqual(codec.open(sealRaw(KEY, JSON.stringify(good)), binding, T0), { ok: true, data: undefined })
})

test('rotation: the first key seals, every key opens, a removed key\'s states are forged', () => {
  const old = new RequestStateCodec({ keys: [OLD_KEY] })
  const rotated = new RequestStateCodec({ keys: [NEW_KEY, OLD_KEY] })
  const retired = new RequestStateCodec({ keys: [NEW_KEY] })
  const before = old.seal(binding, state, T0)
  assert.deepEqual(rotated.open(before, binding, T0), { ok: true, data: state })
  assert.deepEqual(retired.open(before, binding, T0), { ok: false, reason: 'forged' })

  const after = rotated.seal(binding, state, T0)
  assert.notEqual(parts(after)[1], parts(before)[1])
  assert.deepEqual(retired.open(after, binding, T0), { ok: true, data: state })
  assert.deepEqual(old.open(after, binding, T0), { ok: false, reason: 'forged' })
  // A key given as a string or as its UTF-8 bytes is the same key.
  assert.deepEqual(new RequestStateCodec({ keys: [Buffer.from(KEY)] }).open(new RequestStateCodec({ keys: [KEY] }).seal(binding, 1, T0), binding, T0), { ok: true, data: 1 })
})

test('two codecs with default keys cannot open each other\'s states', () => {
  const a = new RequestStateCodec()
  const b = new RequestStateCodec()
  const token = a.seal(binding, state)
  assert.deepEqual(a.open(token, binding), { ok: true, data: state })
  assert.deepEqual(b.open(token, binding), { ok: false, reason: 'forged' })
  assert.deepEqual(a.open(b.seal(binding, state), binding), { ok: false, reason: 'forged' })
})

test('keys and limits are checked when the codec is built', () => {
  assert.throws(() => new RequestStateCodec({ keys: [] }), { name: 'TypeError', message: /at least one key/ })
  assert.throws(() => new RequestStateCodec({ keys: ['k'.repeat(31)] }), { name: 'RangeError', message: /keys\[0\] has 31 bytes; at least 32/ })
  assert.throws(() => new RequestStateCodec({ keys: [KEY, new Uint8Array(16)] }), { name: 'RangeError', message: /keys\[1\] has 16 bytes/ })
  assert.throws(() => new RequestStateCodec({ keys: [KEY, 42 as unknown as string] }), { name: 'TypeError', message: /keys\[1\]/ })
  assert.throws(() => new RequestStateCodec({ keys: KEY as unknown as string[] }), { name: 'TypeError' })
  // Bytes, not characters: 16 two-byte characters are 32 bytes.
  assert.doesNotThrow(() => new RequestStateCodec({ keys: ['é'.repeat(16)] }))
  assert.throws(() => new RequestStateCodec({ keys: ['é'.repeat(15) + 'e'] }), RangeError)
  // The message names the problem, never the key.
  assert.throws(() => new RequestStateCodec({ keys: ['secret-secret-secret'] }), (error: Error) => !error.message.includes('secret-secret'))
  for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new RequestStateCodec({ ttlMs }), { name: 'RangeError', message: /ttlMs/ })
  }
  for (const maxLength of [0, -5, 1.5, Number.NaN]) {
    assert.throws(() => new RequestStateCodec({ maxLength }), { name: 'RangeError', message: /maxLength/ })
  }
})

test('open gives a reason, never an exception, for any string and any one-character change', () => {
  const codec = new RequestStateCodec({ keys: [KEY] })
  const token = codec.seal(binding, state, T0)
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
    const result = codec.open(text, binding, T0)
    assert.equal(result.ok, false)
  }))
  fc.assert(fc.property(
    fc.nat({ max: token.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    (at, character) => {
      fc.pre(token[at] !== character)
      const changed = token.slice(0, at) + character + token.slice(at + 1)
      assert.equal(codec.open(changed, binding, T0).ok, false)
    }))
})

test('paramsDigest ignores _meta, inputResponses and requestState, and the order of keys', () => {
  const digest = paramsDigest(params)
  assert.match(digest, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(paramsDigest({
    arguments: { replicas: 3, env: 'prod' },
    _meta: { progressToken: 7, 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
    inputResponses: { login: { action: 'accept', content: { user: 'a' } } },
    requestState: 'v1.whatever',
    name: 'deploy'
  }), digest)
  assert.equal(paramsDigest({ name: 'deploy', arguments: { env: 'prod', replicas: 3, dropped: undefined }, gone: undefined }), digest)
  assert.equal(paramsDigest(undefined), paramsDigest({}))
  assert.equal(paramsDigest({ _meta: { a: 1 } }), paramsDigest({}))
  // Canonical JSON, sorted by code unit at every depth (integer-like keys too), then SHA-256.
  const expected = createHash('sha256').update('{"a":[3,{"10":null,"2":"x","c":[]}],"b":{"y":1,"z":true}}').digest('base64url')
  assert.equal(paramsDigest({ b: { z: true, y: 1 }, a: [3, { c: [], 2: 'x', 10: null }] }), expected)
})

test('paramsDigest tells different questions apart', () => {
  const base = { name: 'q', arguments: { a: 1, list: [1, 2], nested: { b: 'x' } } }
  const variants = [
    { name: 'r', arguments: base.arguments },
    { name: 'q', arguments: { ...base.arguments, a: '1' } },
    { name: 'q', arguments: { ...base.arguments, a: 2 } },
    { name: 'q', arguments: { ...base.arguments, list: [2, 1] } },
    { name: 'q', arguments: { ...base.arguments, list: [1, 2, null] } },
    { name: 'q', arguments: { ...base.arguments, nested: { b: 'x', c: null } } },
    { name: 'q', arguments: { ...base.arguments, nested: { b: 'X' } } },
    { name: 'q', arguments: { ...base.arguments, nested: { b: 'x', _meta: 1 } } },
    { name: 'q', arguments: base.arguments, extra: true },
    { name: 'q' },
    { uri: 'q', arguments: base.arguments },
    JSON.parse('{"name":"q","arguments":{"a":1,"list":[1,2],"nested":{"b":"x"}},"__proto__":{"admin":true}}') as Record<string, unknown>
  ]
  const digests = new Set([paramsDigest(base), ...variants.map(paramsDigest)])
  assert.equal(digests.size, variants.length + 1)
})

test('paramsDigest writes values as JSON.stringify does', () => {
  assert.equal(paramsDigest({ at: new Date(0), n: [undefined, () => 1, Number.NaN, -0] }), paramsDigest({ at: '1970-01-01T00:00:00.000Z', n: [null, null, null, 0] }))
  assert.equal(paramsDigest({ s: 'é\u2028"\\' }), createHash('sha256').update(JSON.stringify({ s: 'é\u2028"\\' })).digest('base64url'))
  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  assert.throws(() => paramsDigest({ cycle }), TypeError)
  assert.throws(() => paramsDigest({ big: 1n }), TypeError)
  // The same object twice (not a cycle) is fine.
  const shared = { x: 1 }
  assert.equal(paramsDigest({ a: shared, b: shared }), paramsDigest({ a: { x: 1 }, b: { x: 1 } }))
})
