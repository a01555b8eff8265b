import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, postToken, seed } from './helpers.js'

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

// bcrypt at cost 8 dominates each request, so that the difference the test looks for (one
// bcrypt comparison or none) dwarfs the noise of a busy machine. The two kinds are interleaved,
// so that load changes hit both alike, and medians are compared relative to each other.
test('a wrong password for an existing user and any password for a missing one take the same time', async (t) => {
  const app = await build(t, 'memory', { bcryptCost: 8, throttle: false })
  const { clientId, username } = await seed(app)
  const time = async (name: string): Promise<number> => {
    const start = process.hrtime.bigint()
    const res = await postToken(app, { grant_type: 'password', username: name, password: 'wrong', client_id: clientId })
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error_description, 'invalid username or password')
    return elapsed
  }
  // Warm up: the dummy hash, JIT.
  for (let i = 0; i < 3; i++) { await time(username); await time('missing') }
  const existing: number[] = []
  const missing: number[] = []
  for (let i = 0; i < 30; i++) {
    if (i % 2 === 0) {
      existing.push(await time(username))
      missing.push(await time(`missing${i}`))
    } else {
      missing.push(await time(`missing${i}`))
      existing.push(await time(username))
    }
  }
  const a = median(existing)
  const b = median(missing)
  const ratio = Math.abs(a - b) / Math.max(a, b)
  assert.ok(ratio < 0.25, `medians ${a.toFixed(2)} ms (existing) and ${b.toFixed(2)} ms (missing) differ by ${(ratio * 100).toFixed(0)}%`)
})
