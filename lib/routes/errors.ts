import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { OAuthError } from '../errors.js'

export interface ErrorBody {
  error: string
  error_description: string
  error_uri?: string
}

/** Turns a schema failure into a sentence about the parameter (RFC 6749 section 5.2 invalid_request). */
function describeValidation (err: FastifyError): string {
  const first = err.validation?.[0]
  if (first === undefined) return 'the request is malformed'
  const missing = (first.params as { missingProperty?: string }).missingProperty
  if (missing !== undefined) return `missing parameter: ${missing}`
  const name = first.instancePath.replace(/^\//, '').split('/')[0] ?? ''
  if (name === '') return 'the request body must be form parameters'
  // What is left once empty parameters are dropped: too long, or not one string (repeated).
  if (first.keyword === 'maxLength') return `parameter ${name} is too long`
  return `parameter ${name} must be given once, as a string`
}

// Errors of drivers and servers (MongoDB, Redis, connection resets): the store is down, not the
// client wrong.
export function isBackendError (err: Error): boolean {
  return /^Mongo|^Redis|^ReplyError|^MaxRetries/.test(err.name) || /ECONNREFUSED|ECONNRESET|Connection is closed|Stream isn't writeable/.test(err.message)
}

/**
 * The error contract of the provider's routes: every failure is an RFC 6749 section 5.2 body.
 * Client mistakes are invalid_request with a sentence naming the problem; backend failures are
 * 503 temporarily_unavailable; anything else is 500 server_error with no detail. Details and
 * stacks go to the log only.
 */
export function oauthErrorHandler (errorUri: string | null) {
  return function handler (err: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply): void {
    let status: number
    let body: ErrorBody
    if (err instanceof OAuthError) {
      status = err.statusCode
      body = { error: err.error, error_description: err.message }
      reply.headers(err.headers)
      if (status >= 500) request.log.warn({ code: err.code }, err.message)
    } else if ((err as FastifyError).validation !== undefined) {
      status = 400
      body = { error: 'invalid_request', error_description: describeValidation(err as FastifyError) }
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large.
      status = err.statusCode
      body = { error: 'invalid_request', error_description: clientErrorText(err as FastifyError) }
    } else if (isBackendError(err)) {
      request.log.error({ err }, 'fastify-sentinel: backend unavailable')
      status = 503
      body = { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again' }
      reply.header('retry-after', '1')
    } else {
      request.log.error({ err }, 'fastify-sentinel: internal error')
      status = 500
      body = { error: 'server_error', error_description: 'internal error' }
    }
    if (errorUri !== null) body.error_uri = errorUri
    reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache').send(body)
  }
}

function clientErrorText (err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'send parameters as application/x-www-form-urlencoded'
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'the request body is too large'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return 'the request body is not valid JSON'
    default: return 'the request is malformed'
  }
}
