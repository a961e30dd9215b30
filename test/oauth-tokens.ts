import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { request } from 'undici'

/** A token from the client credentials grant of `issuer` (the development server's `/token`). */
export async function clientCredentialsToken (issuer: string, client: string, secret: string, resource: string, scope: string): Promise<string> {
  const response = await request(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded'
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString()
  })
  const body = await response.body.json() as { access_token?: string, error?: string, error_description?: string }
  if (body.access_token === undefined) throw new Error(`no token: ${body.error ?? ''} ${body.error_description ?? ''}`)
  return body.access_token
}

/**
 * The same claims and header (`kid` included) as `token`, signed with a key the issuer never had:
 * what an attacker who knows the issuer's key id can make.
 */
export function resignWithForeignKey (token: string): string {
  const [header = '', payload = ''] = token.split('.')
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const input = `${header}.${payload}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

export function claimsOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

export const uniqueName = (): string => `client-${randomUUID()}`
