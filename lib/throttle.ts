import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { OAuthError } from './errors.js'

/*
 * Brute-force throttling (RFC 6749 sections 2.3.1 and 4.3.2 ask the token endpoint to protect
 * against it). Failures are counted per key in a fixed window that starts at the first failure:
 * in Redis when the plugin has one, so that every instance shares the counts, else in memory.
 * Each Redis command touches one key (Redis Cluster safe). A key past its limit answers 429
 * slow_down with Retry-After until its window ends. Unknown usernames are counted like known
 * ones, so the answer never says whether a username exists.
 */

export interface ThrottleSettings {
  /** Failures allowed per username or client_id in a window. */
  limit: number
  /** Failures allowed per client address in a window. */
  addressLimit: number
  /** Window length in seconds. */
  window: number
  keyPrefix: string
  /** Memory mode: how many counters to keep at most. Default 50 000. */
  maxEntries?: number
}

export interface ThrottleKey {
  kind: 'user' | 'client' | 'address'
  value: string
}

function digest (value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32)
}

export class Throttle {
  private readonly memory = new Map<string, { count: number, resetAt: number }>()
  private readonly max: number

  constructor (
    private readonly redis: Redis | null,
    private readonly settings: ThrottleSettings,
    private readonly log: FastifyBaseLogger
  ) {
    this.max = settings.maxEntries ?? 50_000
  }

  // Usernames are hashed: the counters never hold what a person typed.
  private key (k: ThrottleKey): string {
    return `${this.settings.keyPrefix}throttle:${k.kind}:${digest(k.value)}`
  }

  private limitOf (k: ThrottleKey): number {
    return k.kind === 'address' ? this.settings.addressLimit : this.settings.limit
  }

  /** Throws 429 slow_down when any key is past its limit. */
  async check (keys: ThrottleKey[]): Promise<void> {
    let wait = 0
    for (const k of keys) {
      const { count, ttlMs } = await this.read(this.key(k))
      if (count >= this.limitOf(k)) wait = Math.max(wait, ttlMs)
    }
    if (wait > 0) {
      throw new OAuthError('slow_down', 'too many failed attempts; try again later', {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) }
      })
    }
  }

  /** Counts one failure against each key. */
  async fail (keys: ThrottleKey[]): Promise<void> {
    for (const k of keys) await this.increment(this.key(k))
  }

  /** A success clears the key (the username's or the client's count, not the address's). */
  async reset (k: ThrottleKey): Promise<void> {
    const key = this.key(k)
    if (this.redis === null) {
      this.memory.delete(key)
      return
    }
    try {
      await this.redis.del(key)
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'fastify-sentinel: throttle reset failed')
    }
  }

  private async read (key: string): Promise<{ count: number, ttlMs: number }> {
    const now = Date.now()
    if (this.redis === null) {
      const entry = this.memory.get(key)
      if (entry === undefined || entry.resetAt <= now) return { count: 0, ttlMs: 0 }
      return { count: entry.count, ttlMs: entry.resetAt - now }
    }
    try {
      const results = await this.redis.multi().get(key).pttl(key).exec()
      const count = Number(results?.[0]?.[1] ?? 0)
      const ttlMs = Number(results?.[1]?.[1] ?? -1)
      return { count, ttlMs: ttlMs > 0 ? ttlMs : this.settings.window * 1000 }
    } catch (err) {
      // Fail open: a Redis outage must not lock every user out; it is logged.
      this.log.warn({ err: { message: (err as Error).message } }, 'fastify-sentinel: throttle read failed; not throttling')
      return { count: 0, ttlMs: 0 }
    }
  }

  private async increment (key: string): Promise<void> {
    const windowMs = this.settings.window * 1000
    if (this.redis === null) {
      const now = Date.now()
      const entry = this.memory.get(key)
      if (entry === undefined || entry.resetAt <= now) {
        if (this.memory.size >= this.max) this.evict(now)
        this.memory.set(key, { count: 1, resetAt: now + windowMs })
      } else {
        entry.count++
      }
      return
    }
    try {
      // The window starts at the first failure: SET NX gives the key its expiry once.
      await this.redis.multi().set(key, '0', 'PX', windowMs, 'NX').incr(key).exec()
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'fastify-sentinel: throttle count failed')
    }
  }

  private evict (now: number): void {
    for (const [key, entry] of this.memory) {
      if (entry.resetAt <= now) this.memory.delete(key)
    }
    // Still full: drop the oldest entries (Map keeps insertion order).
    while (this.memory.size >= this.max) this.memory.delete(this.memory.keys().next().value as string)
  }
}
