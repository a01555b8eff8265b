import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 32 random bytes, base64url without padding: 43 characters. */
export function generateToken (): string {
  return randomBytes(32).toString('base64url')
}

/** Tokens are stored only as their SHA-256 (RFC 6749 section 10.3): a leaked dump gives no usable token. */
export function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** The cheap check before any I/O: only a string that we could have issued is looked up. */
export function isWellFormedToken (token: string): boolean {
  return TOKEN_SHAPE.test(token)
}

/** Constant-time comparison of two secrets of any length. */
export function safeEqual (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}
