/**
 * `npm test` lands here after the build: start the real servers, run every compiled test file
 * under c8 with node's test runner (one file at a time: files share the servers), stop the servers.
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServers } from './servers.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..')

const only = process.argv.slice(2)
const files = only.length > 0
  ? only
  : readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f))

const servers = await startServers()
for (const line of servers.describe) console.log(`# ${line}`)

const c8 = join(root, 'node_modules', '.bin', 'c8')
const code = await new Promise<number>((resolve) => {
  // Coverage thresholds hold for the whole suite; a run of a few files only reports.
  const check = only.length > 0 ? ['--check-coverage=false'] : []
  const child = spawn(c8, [...check, process.execPath, '--test', '--test-concurrency=1', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, REDIS_URL: servers.redisUrl, MONGODB_URL: servers.mongoUrl }
  })
  child.on('exit', (c, signal) => resolve(c ?? (signal !== null ? 1 : 0)))
})
await servers.stop()
process.exit(code)
