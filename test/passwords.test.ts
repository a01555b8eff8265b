import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import bcrypt from 'bcrypt'
import { Passwords } from '../lib/passwords.js'
import { build, postToken, type Backend } from './helpers.js'

describe('passwords', () => {
  test('hashes made by flask-sentinel ($2a$, $2b$) and PHP ($2y$) verify', async () => {
    const p = new Passwords(4)
    const b = await bcrypt.hash('pass', 4)
    for (const hash of [b, b.replace('$2b$', '$2a$'), b.replace('$2b$', '$2y$')]) {
      assert.equal(await p.verify('pass', hash), true, hash.slice(0, 4))
      assert.equal(await p.verify('wrong', hash), false)
    }
  })

  test('a missing or unreadable hash is a failed login, not an error', async () => {
    const p = new Passwords(4)
    for (const hash of [undefined, null, '', 'plain-text', '$2b$04$short']) assert.equal(await p.verify('pass', hash), false)
  })

  test('a hash below the configured cost needs a rehash, one at or above it does not', async () => {
    const p = new Passwords(10)
    assert.equal(p.needsRehash(await bcrypt.hash('x', 4)), true)
    assert.equal(p.needsRehash('$2b$10$' + 'a'.repeat(53)), false)
    assert.equal(p.needsRehash('$2b$12$' + 'a'.repeat(53)), false)
    assert.equal(p.needsRehash('garbage'), true)
  })

  for (const backend of ['memory', 'real'] as Backend[]) {
    test(`a flask-sentinel user logs in unchanged and a weaker hash is upgraded on login (${backend})`, async (t) => {
      const app = await build(t, backend, { bcryptCost: 6 })
      // As flask-sentinel wrote it: py-bcrypt, $2a$, a lower cost.
      const legacy = (await bcrypt.hash('pass', 4)).replace('$2b$', '$2a$')
      const user = await app.sentinel.store.createUser({ username: 'jonas', hashpw: legacy })
      const { client } = await app.sentinel.admin.createClient()
      const res = await postToken(app, { client_id: client.clientId, grant_type: 'password', username: 'jonas', password: 'pass' })
      assert.equal(res.statusCode, 200)
      const upgraded = (await app.sentinel.store.findUserById(user.id))?.hashpw as string
      assert.match(upgraded, /^\$2b\$06\$/)
      assert.equal(await bcrypt.compare('pass', upgraded), true)
      // And the upgraded hash keeps working.
      assert.equal((await postToken(app, { client_id: client.clientId, grant_type: 'password', username: 'jonas', password: 'pass' })).statusCode, 200)
    })
  }

  test('new users are hashed with bcrypt at the configured cost, never stored in plain text', async (t) => {
    const app = await build(t, 'memory', { bcryptCost: 5 })
    const user = await app.sentinel.admin.createUser('ann', 'secret')
    assert.match(user.hashpw, /^\$2b\$05\$/)
    assert.equal(user.hashpw.includes('secret'), false)
  })
})
