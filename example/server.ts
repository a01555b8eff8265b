/**
 * `npm start`: the demo over HTTPS on port 5000 with a self-signed certificate made at start
 * (use curl -k, as with flask-sentinel). On the embedded default it creates a demo user and
 * client and prints the curl session; with SENTINEL_MONGO_URI / SENTINEL_REDIS_URL it uses those
 * servers and creates nothing.
 */
import { generate } from 'selfsigned'
import { createExample, curlSession } from './app.js'

const port = Number(process.env.PORT ?? 5000)
const host = process.env.HOST ?? '127.0.0.1'

const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
  keySize: 2048,
  algorithm: 'sha256',
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]
})
const { app, demo, management } = await createExample({ https: { key: pems.private, cert: pems.cert }, logger: { level: 'warn' } })
await app.listen({ port, host })
const address = app.server.address()
const actualPort = typeof address === 'object' && address !== null ? address.port : port
const base = `https://localhost:${actualPort}`
const prefix = app.sentinel.options.routePrefix

const lines = [`fastify-sentinel example listening on ${base} (store: ${app.sentinel.backends.store}, mirror: ${app.sentinel.backends.mirror})`]
if (demo !== null) {
  const [login, call, refresh] = curlSession(base, prefix, demo)
  lines.push(
    `Embedded default: nothing is kept after exit. Demo user "${demo.username}" / "${demo.password}", public client ${demo.clientId}.`,
    '',
    '1. Get a token (password grant):',
    `   ${login}`,
    '2. Call the protected endpoint, with the access_token from 1 in place of ACCESS_TOKEN:',
    `   ${call}`,
    '3. Refresh, with the refresh_token from 1 in place of REFRESH_TOKEN:',
    `   ${refresh}`
  )
}
if (management !== null) {
  lines.push('', `Management page: ${base}${management.path}`)
  if (management.generated !== null) {
    lines.push(`   user "${management.generated.username}", generated password "${management.generated.password}" (set SENTINEL_MANAGEMENT_USERNAME and SENTINEL_MANAGEMENT_PASSWORD to choose your own)`)
  }
}
console.log(lines.join('\n'))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
