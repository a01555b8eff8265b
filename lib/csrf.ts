import { createHmac, randomBytes } from 'node:crypto'
import { safeEqual } from './tokens.js'

const CSRF_LIFETIME_S = 12 * 3600

/**
 * Form tokens and signed flash messages of the management page: HMACs under one key.
 *
 * With credentials configured the key derives from the management password, so that every
 * instance behind a load balancer accepts the forms of every other (instances are stateless);
 * anyone who could forge a token could log in anyway. Without credentials (insecureNoAuth) the
 * key is random per process.
 */
export class Signer {
  private readonly key: Buffer

  constructor (secret: string | null) {
    this.key = secret === null
      ? randomBytes(32)
      : createHmac('sha256', secret).update('fastify-sentinel management key').digest()
  }

  private mac (purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${value}`).digest('base64url')
  }

  /** A form token bound to the Basic-auth identity and its time of issue. */
  csrfToken (identity: string, now = Date.now()): string {
    const issued = Math.floor(now / 1000).toString(36)
    return `${issued}.${this.mac('csrf', `${identity}\0${issued}`)}`
  }

  checkCsrf (identity: string, token: unknown, now = Date.now()): boolean {
    if (typeof token !== 'string' || token.length > 128) return false
    const dot = token.indexOf('.')
    if (dot < 1) return false
    const issued = token.slice(0, dot)
    const age = Math.floor(now / 1000) - parseInt(issued, 36)
    // Compare first, then check the age: the time taken does not depend on how close a forgery got.
    const ok = safeEqual(token.slice(dot + 1), this.mac('csrf', `${identity}\0${issued}`))
    return ok && age >= 0 && age <= CSRF_LIFETIME_S
  }

  /** A message only this server could have put into a redirect's query string. */
  sign (message: string): string {
    const body = Buffer.from(message).toString('base64url')
    return `${body}.${this.mac('flash', body)}`
  }

  unsign (value: string): string | null {
    const dot = value.lastIndexOf('.')
    if (dot < 1) return null
    const body = value.slice(0, dot)
    if (!safeEqual(value.slice(dot + 1), this.mac('flash', body))) return null
    return Buffer.from(body, 'base64url').toString()
  }
}
