/**
 * `npm run bench`: the cost of fastify.sentinel.verify, as ratios against an unprotected route
 * measured in the same process (never absolute times: this machine's speed is not the point).
 * Cases run interleaved, round after round, so that warm-up and machine noise hit them alike;
 * the median round of each is reported. Starts its own servers like the test suite (or uses
 * REDIS_URL / MONGODB_URL).
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import Fastify, { type FastifyInstance } from 'fastify'
import { MongoClient } from 'mongodb'
import sentinel, { type SentinelOptions } from '../lib/index.js'
import { startServers } from '../test/servers.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

interface Case { name: string, app: FastifyInstance, url: string, headers: Record<string, string>, rounds: number[] }

async function provider (opts: SentinelOptions): Promise<{ app: FastifyInstance, token: string }> {
  const app = Fastify()
  await app.register(sentinel, { bcryptCost: 4, requireTls: false, sweepInterval: 0, ...opts })
  app.get('/open', async () => 'ok')
  app.get('/protected', { preHandler: app.sentinel.verify }, async () => 'ok')
  await app.ready()
  await app.sentinel.admin.createUser('bench', 'pw')
  const { client } = await app.sentinel.admin.createClient()
  const res = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', client_id: client.clientId, username: 'bench', password: 'pw' } })
  return { app, token: res.json().access_token }
}

async function round (c: Case): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < REQUESTS; i++) {
    const res = await c.app.inject({ url: c.url, headers: c.headers })
    if (res.statusCode !== 200 && res.statusCode !== 401) throw new Error(`${c.name}: unexpected ${res.statusCode}`)
  }
  return (performance.now() - start) * 1000 / REQUESTS
}

const servers = await startServers()
const database = 'bench_' + randomBytes(4).toString('hex')
try {
  const memory = await provider({})
  const mirrored = await provider({ mongo: { url: servers.mongoUrl, database }, redis: { url: servers.redisUrl, keyPrefix: database + ':' } })
  const storeOnly = await provider({ mongo: { url: servers.mongoUrl, database: database + '_s' }, redis: false })
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const cases: Case[] = [
    { name: 'unprotected route (baseline)', app: memory.app, url: '/open', headers: {}, rounds: [] },
    { name: 'verify, embedded store', app: memory.app, url: '/protected', headers: bearer(memory.token), rounds: [] },
    { name: 'verify, unknown token (negative cache)', app: memory.app, url: '/protected', headers: bearer(randomBytes(32).toString('base64url')), rounds: [] },
    { name: 'verify, Redis mirror', app: mirrored.app, url: '/protected', headers: bearer(mirrored.token), rounds: [] },
    { name: 'verify, FerretDB only (redis: false)', app: storeOnly.app, url: '/protected', headers: bearer(storeOnly.token), rounds: [] }
  ]
  for (const c of cases) await round(c) // warm-up, not counted
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) c.rounds.push(await round(c))
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const baseline = median((cases[0] as Case).rounds)
  console.log(`${REQUESTS} requests a round, ${ROUNDS} rounds interleaved, median round`)
  console.log('case'.padEnd(42) + 'us/request'.padStart(12) + 'ratio'.padStart(8))
  for (const c of cases) {
    const m = median(c.rounds)
    console.log(c.name.padEnd(42) + m.toFixed(1).padStart(12) + (m / baseline).toFixed(2).padStart(8))
  }
  for (const p of [memory, mirrored, storeOnly]) await p.app.close()
  const client = new MongoClient(servers.mongoUrl)
  await client.db(database).dropDatabase()
  await client.db(database + '_s').dropDatabase()
  await client.close()
} finally {
  await servers.stop()
}
