/**
 * `npm run bench`: the cost of fastify.sentinel.verify, as ratios against an unprotected route
 * measured in the same process (never absolute times: this machine's speed is not the point).
 * Cases: embedded store; FerretDB + Redis with the mirror warm; FerretDB + Redis with the mirror
 * empty (every request falls through to the store); an unknown token (negative cache).
 * Starts its own servers like the test suite (or uses REDIS_URL / MONGODB_URL).
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import Fastify, { type FastifyInstance } from 'fastify'
import { MongoClient } from 'mongodb'
import sentinel, { type SentinelOptions } from '../lib/index.js'
import { startServers } from '../test/servers.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000)
const ROUNDS = 5

async function app (opts: SentinelOptions): Promise<{ app: FastifyInstance, token: string }> {
  const a = Fastify()
  await a.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0, ...opts })
  a.get('/open', async () => 'ok')
  a.get('/protected', { preHandler: a.sentinel.verify }, async () => 'ok')
  await a.ready()
  await a.sentinel.admin.createUser('bench', 'pw')
  const { client } = await a.sentinel.admin.createClient()
  const res = await a.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', client_id: client.clientId, username: 'bench', password: 'pw' } })
  return { app: a, token: res.json().access_token }
}

/** Median over rounds of the time per request, in microseconds. */
async function measure (a: FastifyInstance, url: string, headers: Record<string, string>, before?: () => Promise<void>): Promise<number> {
  const perRound: number[] = []
  // Round 0 warms the JIT and the connections and is not counted.
  for (let round = -1; round < ROUNDS; round++) {
    if (before !== undefined) await before()
    const start = performance.now()
    for (let i = 0; i < REQUESTS; i++) {
      const res = await a.inject({ url, headers })
      if (res.statusCode !== 200 && res.statusCode !== 401) throw new Error(`unexpected ${res.statusCode}`)
    }
    if (round >= 0) perRound.push((performance.now() - start) * 1000 / REQUESTS)
  }
  perRound.sort((x, y) => x - y)
  return perRound[Math.floor(ROUNDS / 2)] as number
}

const servers = await startServers()
const database = 'bench_' + randomBytes(4).toString('hex')
const rows: Array<[string, number]> = []
try {
  const memory = await app({})
  const baseline = await measure(memory.app, '/open', {})
  rows.push(['unprotected route (baseline)', baseline])
  rows.push(['verify, embedded store', await measure(memory.app, '/protected', { authorization: `Bearer ${memory.token}` })])
  rows.push(['verify, unknown token (negative cache)', await measure(memory.app, '/protected', { authorization: `Bearer ${randomBytes(32).toString('base64url')}` })])
  await memory.app.close()

  const keyPrefix = database + ':'
  const real = await app({ mongo: { url: servers.mongoUrl, database }, redis: { url: servers.redisUrl, keyPrefix } })
  rows.push(['verify, Redis mirror warm', await measure(real.app, '/protected', { authorization: `Bearer ${real.token}` })])
  // Emptying the mirror before every request is not possible without measuring the delete too,
  // so this case uses redis: false against the same database: every request reads MongoDB.
  const storeOnly = await app({ mongo: { url: servers.mongoUrl, database: database + '_s' }, redis: false })
  rows.push(['verify, MongoDB (FerretDB) only', await measure(storeOnly.app, '/protected', { authorization: `Bearer ${storeOnly.token}` })])
  await real.app.close()
  await storeOnly.app.close()
  const c = new MongoClient(servers.mongoUrl)
  await c.db(database).dropDatabase()
  await c.db(database + '_s').dropDatabase()
  await c.close()
} finally {
  await servers.stop()
}

const baseline = (rows[0] as [string, number])[1]
console.log(`requests per round: ${REQUESTS}, rounds: ${ROUNDS}, median round reported`)
console.log('case'.padEnd(42) + 'us/request'.padStart(12) + 'ratio'.padStart(8))
for (const [name, us] of rows) console.log(name.padEnd(42) + us.toFixed(1).padStart(12) + (us / baseline).toFixed(2).padStart(8))
