import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { MongoClient } from 'mongodb'
import { DuplicateKeyError, MemoryStore, MongoStore, type Store, type TokenRecord } from '../lib/index.js'
import { mongoUrl, uniqueName } from './helpers.js'

/** One suite, every adapter: what the grant module relies on from a Store. */
function contract (name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store
    before(async () => {
      store = await make()
      await store.init()
      await store.init() // idempotent
    })

    const token = (over: Partial<TokenRecord> = {}): TokenRecord => ({
      hash: uniqueName('h'),
      kind: 'refresh',
      familyId: 'fam-1',
      clientId: 'client-1',
      userId: 'user-1',
      scope: 'read',
      expiresAt: new Date(Date.now() + 60_000),
      consumedAt: null,
      createdAt: new Date(),
      ...over
    })

    test('users: create, find by name and id, duplicate usernames refused, password set, delete', async () => {
      const user = await store.createUser({ username: 'alice', hashpw: '$2b$04$x' })
      assert.equal(typeof user.id, 'string')
      assert.ok(user.createdAt instanceof Date)
      assert.deepEqual(await store.findUserByUsername('alice'), user)
      assert.deepEqual(await store.findUserById(user.id), user)
      assert.equal(await store.findUserByUsername('ALICE'), null)
      await assert.rejects(store.createUser({ username: 'alice', hashpw: 'y' }), DuplicateKeyError)
      assert.equal(await store.setUserPassword(user.id, 'new'), true)
      assert.equal((await store.findUserById(user.id))?.hashpw, 'new')
      assert.equal(await store.setUserPassword('000000000000000000000000', 'new'), false)
      assert.equal(await store.deleteUser(user.id), true)
      assert.equal(await store.deleteUser(user.id), false)
      assert.equal(await store.findUserById(user.id), null)
      assert.equal(await store.findUserById('not-an-id'), null)
    })

    test('users: listed by username, paginated, searched by prefix', async () => {
      for (const u of ['carol', 'bob', 'carl', 'dave']) await store.createUser({ username: u, hashpw: 'h' })
      const page1 = await store.listUsers({ offset: 0, limit: 2 })
      assert.equal(page1.total, 4)
      assert.deepEqual(page1.items.map((u) => u.username), ['bob', 'carl'])
      const page2 = await store.listUsers({ offset: 2, limit: 2 })
      assert.deepEqual(page2.items.map((u) => u.username), ['carol', 'dave'])
      const found = await store.listUsers({ offset: 0, limit: 10 }, 'car')
      assert.equal(found.total, 2)
      assert.deepEqual(found.items.map((u) => u.username), ['carl', 'carol'])
      assert.equal((await store.listUsers({ offset: 0, limit: 10 }, '.*')).total, 0)
    })

    test('clients: create, find, duplicate client_id refused, list, delete', async () => {
      const c = await store.createClient({ clientId: 'client-a', clientType: 'confidential', secretHash: 'sha256:ab', name: 'A', allowedGrantTypes: ['password'], scopes: ['read'] })
      assert.deepEqual(await store.findClient('client-a'), c)
      assert.equal(c.secretHash, 'sha256:ab')
      const p = await store.createClient({ clientId: 'client-b', clientType: 'public', allowedGrantTypes: ['password', 'refresh_token'], scopes: [] })
      assert.equal(p.secretHash, undefined)
      assert.equal(p.name, undefined)
      await assert.rejects(store.createClient({ clientId: 'client-a', clientType: 'public', allowedGrantTypes: [], scopes: [] }), DuplicateKeyError)
      const list = await store.listClients({ offset: 0, limit: 10 })
      assert.deepEqual(list.items.map((x) => x.clientId), ['client-a', 'client-b'])
      assert.equal((await store.listClients({ offset: 0, limit: 10 }, 'client-b')).total, 1)
      assert.equal(await store.deleteClient('client-b'), true)
      assert.equal(await store.deleteClient('client-b'), false)
      assert.equal(await store.findClient('client-b'), null)
    })

    test('tokens: insert, find, duplicate hash refused', async () => {
      const t = token({ kind: 'access' })
      await store.insertTokens([t])
      assert.deepEqual(await store.findToken(t.hash), t)
      assert.equal(await store.findToken('nothing'), null)
      await assert.rejects(store.insertTokens([t]), DuplicateKeyError)
    })

    test('consumeRefreshToken: of many concurrent calls exactly one wins', async () => {
      const t = token()
      await store.insertTokens([t])
      const results = await Promise.all(Array.from({ length: 12 }, () => store.consumeRefreshToken(t.hash, new Date(), t.expiresAt)))
      assert.equal(results.filter((r) => r !== null).length, 1)
      assert.ok((await store.findToken(t.hash))?.consumedAt instanceof Date)
      assert.equal(await store.consumeRefreshToken(t.hash, new Date(), t.expiresAt), null)
    })

    test('consumeRefreshToken refuses access tokens and unknown hashes', async () => {
      const a = token({ kind: 'access' })
      await store.insertTokens([a])
      assert.equal(await store.consumeRefreshToken(a.hash, new Date(), a.expiresAt), null)
      assert.equal(await store.consumeRefreshToken('unknown', new Date(), a.expiresAt), null)
    })

    test('tokens by family, user and client; deletion; live session count', async () => {
      const fam = uniqueName('fam')
      const a = token({ familyId: fam, kind: 'access', userId: 'u-count', clientId: 'c-count' })
      const r = token({ familyId: fam, userId: 'u-count', clientId: 'c-count' })
      const other = token({ familyId: uniqueName('fam'), userId: 'u-count', clientId: 'c-other' })
      await store.insertTokens([a, r, other])
      assert.deepEqual((await store.findTokensBy('familyId', fam)).map((x) => x.hash).sort(), [a.hash, r.hash].sort())
      assert.equal((await store.findTokensBy('userId', 'u-count')).length, 3)
      assert.equal((await store.findTokensBy('clientId', 'c-count')).length, 2)
      assert.equal(await store.countLiveSessions('u-count', new Date()), 2)
      assert.equal(await store.deleteTokens([a.hash, r.hash, 'missing']), 2)
      assert.equal(await store.deleteTokens([]), 0)
      assert.equal(await store.countLiveSessions('u-count', new Date()), 1)
    })

    test('family marks: set, seen, and swept with expired tokens', async () => {
      const fam = uniqueName('fam')
      assert.equal(await store.isFamilyRevoked(fam), false)
      await store.markFamilyRevoked(fam, new Date(Date.now() + 1000))
      await Promise.all([store.markFamilyRevoked(fam, new Date(Date.now() + 1000)), store.markFamilyRevoked(fam, new Date(Date.now() + 1000))])
      assert.equal(await store.isFamilyRevoked(fam), true)
      const expired = token({ expiresAt: new Date(Date.now() - 1000) })
      const live = token()
      await store.insertTokens([expired, live])
      const swept = await store.sweepExpired(new Date(Date.now() + 2000))
      assert.ok(swept >= 2, `swept ${swept}`)
      assert.equal(await store.isFamilyRevoked(fam), false)
      assert.equal(await store.findToken(expired.hash), null)
      assert.equal(await store.sweepExpired(new Date()), 0)
    })
  })
}

contract('MemoryStore', async () => new MemoryStore())

let client: MongoClient
const database = uniqueName('contract')
contract('MongoStore on FerretDB', async () => {
  client = new MongoClient(mongoUrl())
  await client.connect()
  return new MongoStore(client.db(database))
})
after(async () => {
  await client?.db(database).dropDatabase()
  await client?.close()
})

describe('MongoStore reads flask-sentinel documents as they are', () => {
  test('a user with an ObjectId, no created_at, and a $2a$ hash; a client without grants or scopes', async () => {
    const { ObjectId } = await import('mongodb')
    const c = new MongoClient(mongoUrl())
    await c.connect()
    const name = uniqueName('legacy')
    try {
      const db = c.db(name)
      const id = new ObjectId()
      await db.collection('users').insertOne({ _id: id, username: 'jonas', hashpw: '$2a$04$abc' })
      await db.collection('clients').insertOne({ _id: new ObjectId(), client_id: 'legacy-client', client_type: 'public' })
      const store = new MongoStore(db)
      await store.init()
      const user = await store.findUserByUsername('jonas')
      assert.equal(user?.id, id.toHexString())
      assert.equal(user?.createdAt.getTime(), id.getTimestamp().getTime())
      assert.deepEqual(await store.findUserById(id.toHexString()), user)
      const client = await store.findClient('legacy-client')
      assert.deepEqual(client?.allowedGrantTypes, ['password', 'refresh_token'])
      assert.deepEqual(client?.scopes, [])
      assert.equal(client?.clientType, 'public')
    } finally {
      await c.db(name).dropDatabase()
      await c.close()
    }
  })
})
