import { OAuthError } from './errors.js'

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Splits a scope parameter; an empty or malformed one is invalid_scope. */
export function parseScope (scope: string): string[] {
  const tokens = scope.split(' ')
  if (tokens.some((t) => !SCOPE_TOKEN.test(t))) throw new OAuthError('invalid_scope', 'scope must be space-delimited scope tokens (RFC 6749 section 3.3)')
  return [...new Set(tokens)]
}

export function formatScope (scopes: readonly string[]): string {
  return scopes.join(' ')
}

/**
 * The scopes to grant: what was requested, or `fallback` when nothing was, and never anything
 * outside `allowed`.
 */
export function grantScope (requested: string | undefined, allowed: readonly string[], fallback: readonly string[]): string[] {
  if (requested === undefined) return [...fallback]
  const scopes = parseScope(requested)
  const outside = scopes.filter((s) => !allowed.includes(s))
  if (outside.length > 0) throw new OAuthError('invalid_scope', `scope not allowed: ${outside.join(' ')}`)
  return scopes
}
