import assert from 'node:assert/strict'
import { request } from 'node:https'
import { test } from 'node:test'
import { generate } from 'selfsigned'
import { createExample } from '../example/app.js'
import { basic, mongoUrl, uniqueName, dropDatabase } from './helpers.js'

/** A GET over TLS to a server with a self-signed certificate. */
function get (url: string, headers: Record<string, string>): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode as number, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('the example serves the page over HTTPS with the credentials from the environment', async (t) => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' })
  const { app, management } = await createExample({
    https: { key: pems.private, cert: pems.cert },
    env: { SENTINEL_MANAGEMENT_USERNAME: 'ops', SENTINEL_MANAGEMENT_PASSWORD: 'from-env' }
  })
  t.after(() => app.close())
  assert.deepEqual(management, { path: '/oauth/management', generated: null })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const url = `https://127.0.0.1:${port}/oauth/management`
  assert.equal((await get(url, basic('ops', 'wrong'))).status, 401)
  const ok = await get(url, basic('ops', 'from-env'))
  assert.equal(ok.status, 200)
  assert.match(ok.body, /<td class="username">jonas<\/td>/)
  // requireTls is on in the example: plain HTTP never reaches the page.
  assert.equal((await app.inject({ url: '/oauth/management', headers: basic('ops', 'from-env') })).statusCode, 400)
})

test('on the embedded default without credentials the example generates a random password', async (t) => {
  const one = await createExample({ env: {} })
  t.after(() => one.app.close())
  const two = await createExample({ env: {} })
  t.after(() => two.app.close())
  const generated = one.management?.generated
  assert.equal(generated?.username, 'admin')
  assert.ok((generated?.password.length ?? 0) >= 24)
  assert.notEqual(generated?.password, two.management?.generated?.password)
  assert.deepEqual(one.app.sentinel.options.management?.credentials, generated)
})

test('with a database and no credentials the example leaves the page off and creates nothing', async (t) => {
  const database = uniqueName('example')
  const { app, management, demo } = await createExample({ env: { SENTINEL_MONGO_URI: mongoUrl(), SENTINEL_MONGO_DBNAME: database } })
  t.after(async () => { await app.close(); await dropDatabase(database) })
  assert.equal(management, null)
  assert.equal(demo, null)
  assert.equal(app.sentinel.backends.store, 'mongodb')
  assert.equal((await app.sentinel.store.listUsers({ offset: 0, limit: 10 })).total, 0)
  assert.equal((await app.sentinel.store.listClients({ offset: 0, limit: 10 })).total, 0)
  assert.equal((await app.inject({ url: '/oauth/management' })).statusCode, 404)
})
