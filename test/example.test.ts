import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const server = join(dirname(fileURLToPath(import.meta.url)), '..', 'example', 'server.js')

/** Splits one printed curl command into argv, honouring its double quotes. */
function argv (command: string): string[] {
  return (command.match(/"[^"]*"|\S+/g) ?? []).map((part) => part.replace(/^"|"$/g, ''))
}

test('npm start prints a curl session that gets a token, reaches /endpoint and refreshes, over HTTPS', async (t) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: '0' }
  const child = spawn(process.execPath, [server], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { child.kill('SIGTERM') })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not print its session in time:\n${out}`)), 20_000)
    child.stdout.on('data', () => { if (out.includes('REFRESH_TOKEN')) { clearTimeout(timer); resolve() } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`example exited with ${code}:\n${out}`)) })
  })
  assert.match(out, /listening on https:\/\/localhost:\d+ \(store: memory, mirror: none\)/)
  const commands = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl -k'))
  assert.equal(commands.length, 3)
  const [login, call, refresh] = commands as [string, string, string]

  const first = JSON.parse((await run('curl', ['-s', ...argv(login).slice(1)])).stdout)
  assert.equal(first.token_type, 'Bearer')
  assert.equal(first.expires_in, 3600)
  assert.equal(first.scope, '')

  const protectedCall = await run('curl', ['-s', ...argv(call.replace('ACCESS_TOKEN', first.access_token)).slice(1)])
  assert.equal(protectedCall.stdout, 'You made it through and accessed the protected resource!')

  const second = JSON.parse((await run('curl', ['-s', ...argv(refresh.replace('REFRESH_TOKEN', first.refresh_token)).slice(1)])).stdout)
  assert.equal(second.token_type, 'Bearer')
  assert.notEqual(second.refresh_token, first.refresh_token)
  const again = await run('curl', ['-s', ...argv(call.replace('ACCESS_TOKEN', second.access_token)).slice(1)])
  assert.equal(again.stdout, 'You made it through and accessed the protected resource!')

  // Plain HTTP is not served at all: the example is HTTPS only.
  await assert.rejects(run('curl', ['-s', '--max-time', '5', login.split(' ').pop()!.replace('https://', 'http://')]))
})
