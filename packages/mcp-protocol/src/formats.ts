import { isIP } from 'node:net'
import { FormatRegistry } from '@sinclair/typebox'

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

const formats: Record<string, (value: string) => boolean> = {
  date: (value) => DATE.test(value),
  time: (value) => TIME.test(value),
  'date-time': (value) => {
    const [date = '', time = ''] = value.split(/t/i)
    return DATE.test(date) && TIME.test(time)
  },
  email: (value) => EMAIL.test(value),
  uuid: (value) => UUID.test(value),
  uri: (value) => URL.canParse(value),
  hostname: (value) => HOSTNAME.test(value),
  ipv4: (value) => isIP(value) === 4,
  ipv6: (value) => isIP(value) === 6
}

/**
 * TypeBox fails every value of a `format` it does not know, so a tool declared with
 * `Type.String({ format: 'email' })` would refuse all calls. The usual JSON Schema formats are
 * registered here, unless the app registered its own.
 */
export function registerStandardFormats (): void {
  for (const [name, check] of Object.entries(formats)) {
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
  }
}
