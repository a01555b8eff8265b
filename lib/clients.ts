import { createHash, randomBytes } from 'node:crypto'
import { OAuthError } from './errors.js'
import type { ClientRecord, Store } from './store/types.js'
import { safeEqual } from './tokens.js'

/** What the token endpoint received about the client, before it is trusted. */
export interface ClientCredentials {
  authorization: string | undefined
  clientId: string | undefined
  clientSecret: string | undefined
}

/** A confidential client's secret: 256 random bits. Shown once, stored only as a hash. */
export function generateClientSecret (): string {
  return randomBytes(32).toString('base64url')
}

export function generateClientId (): string {
  return randomBytes(24).toString('base64url')
}

// The secret is 256 random bits, so a plain SHA-256 is enough to make a leaked hash useless;
// bcrypt's slowness protects guessable passwords, not random keys.
export function hashClientSecret (secret: string): string {
  return 'sha256:' + createHash('sha256').update(secret).digest('hex')
}

function formDecode (value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

/** RFC 6749 section 2.3.1: id and secret are form-urlencoded, then joined by ":" and base64ed. */
export function parseBasic (header: string): { id: string, secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
  if (match === null) return null
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 1) return null
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

/**
 * Authenticates the client of a token request (RFC 6749 section 2.3). Public clients send their
 * client_id only, as in flask-sentinel; confidential clients add their secret by HTTP Basic or
 * in the body, never both. Failures are invalid_client, 401, with a Basic challenge when the
 * client tried the Authorization header.
 */
export async function authenticateClient (store: Store, creds: ClientCredentials, realm: string): Promise<ClientRecord> {
  const usedBasic = creds.authorization !== undefined && /^basic /i.test(creds.authorization)
  const fail = (description: string): OAuthError => new OAuthError('invalid_client', description, usedBasic
    ? { headers: { 'www-authenticate': `Basic realm="${realm}", charset="UTF-8"` } }
    : {})

  let id = creds.clientId
  let secret = creds.clientSecret
  if (usedBasic) {
    const basic = parseBasic(creds.authorization as string)
    if (basic === null) throw fail('malformed HTTP Basic client credentials')
    if (secret !== undefined) throw fail('use one client authentication method, not two (RFC 6749 section 2.3)')
    if (id !== undefined && id !== basic.id) throw fail('client_id in the body differs from the one in the Authorization header')
    id = basic.id
    secret = basic.secret
  }
  if (id === undefined) throw fail('client authentication is required: send client_id')
  const client = await store.findClient(id)
  if (client === null) throw fail('unknown client')
  if (client.clientType === 'confidential') {
    if (secret === undefined || secret === '' || client.secretHash === undefined) throw fail('client authentication failed')
    if (!safeEqual(hashClientSecret(secret), client.secretHash)) throw fail('client authentication failed')
  } else if (secret !== undefined && secret !== '') {
    throw fail('a public client has no secret')
  }
  return client
}
