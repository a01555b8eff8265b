import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { MANAGER, basic, build } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUTPUT = resolve('test-output')

test('an operator manages users and clients in a real browser, and the results work at the token endpoint', { skip: existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}`, timeout: 120_000 }, async (t) => {
  const app = await build(t, 'real', { management: { ...MANAGER } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`

  // A fresh profile per run: nothing cached from an earlier run (credentials, pages) can help.
  const profile = mkdtempSync(join(tmpdir(), 'sentinel-chromium-'))
  t.after(() => rmSync(profile, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    httpCredentials: { username: MANAGER.username, password: MANAGER.password },
    viewport: { width: 1280, height: 900 }
  })
  t.after(() => context.close())
  const page = context.pages()[0] ?? await context.newPage()
  const violations: string[] = []
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text()) })

  const first = await page.goto(`${base}/oauth/management`)
  assert.equal(first?.status(), 200)
  assert.match(await page.locator('header').innerText(), /Signed in as admin/)

  // Add a user through the page.
  await page.fill('#add-user input[name=username]', 'jonas')
  await page.fill('#add-user input[name=password]', 'pass')
  await page.click('#add-user button[type=submit]')
  assert.equal(await page.locator('#flash').innerText(), 'User "jonas" created.')
  assert.equal(await page.locator('tr.user td.username').innerText(), 'jonas')

  // Add a confidential client; its secret is shown this once.
  await page.fill('#add-client input[name=name]', 'browser app')
  await page.check('#add-client input[value=confidential]')
  await page.fill('#add-client input[name=scopes]', 'read write')
  await page.click('#add-client button[type=submit]')
  const clientId = await page.locator('#created-client-id').innerText()
  const clientSecret = await page.locator('#created-client-secret').innerText()
  assert.match(clientSecret, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(await page.locator('tr.client td.name').innerText(), 'browser app')
  mkdirSync(OUTPUT, { recursive: true })
  await page.screenshot({ path: join(OUTPUT, 'management-new-client.png'), fullPage: true })

  // The user and the client work at the token endpoint of the same server.
  const tokenRes = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(clientId, clientSecret) },
    body: new URLSearchParams({ grant_type: 'password', username: 'jonas', password: 'pass', scope: 'read' })
  })
  assert.equal(tokenRes.status, 200)
  const token = await tokenRes.json() as { access_token: string }
  const protectedRes = await fetch(`${base}/endpoint`, { headers: { authorization: `Bearer ${token.access_token}` } })
  assert.equal(protectedRes.status, 200)

  // The session shows on the page; the secret does not any more.
  await page.goto(`${base}/oauth/management`)
  assert.equal(await page.locator('tr.user td.sessions').innerText(), '1')
  assert.equal(await page.locator('#created-client-secret').count(), 0)
  assert.ok(!(await page.content()).includes(clientSecret))
  await page.screenshot({ path: join(OUTPUT, 'management.png'), fullPage: true })

  // A form post without its CSRF token is refused and changes nothing.
  await page.locator('#add-user input[name=_csrf]').evaluate((el) => el.remove())
  await page.fill('#add-user input[name=username]', 'mallory')
  await page.fill('#add-user input[name=password]', 'pw')
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('#add-user button[type=submit]')])
  assert.equal(refused?.status(), 403)
  assert.match(await page.locator('body').innerText(), /CSRF/)
  assert.equal(await app.sentinel.store.findUserByUsername('mallory'), null)

  // Revoking the user's sessions from the page ends the token's life.
  await page.goto(`${base}/oauth/management`)
  await page.click('tr.user form[action$="/revoke"] button')
  assert.match(await page.locator('#flash').innerText(), /Revoked 1 session of "jonas"/)
  assert.equal((await fetch(`${base}/endpoint`, { headers: { authorization: `Bearer ${token.access_token}` } })).status, 401)
  assert.deepEqual(violations, [], 'the page needs nothing its CSP forbids')
})
