/**
 * Starts the real servers the suite talks to: Debian's redis-server and FerretDB (SQLite backend),
 * each on a free loopback port in a temporary folder, unless REDIS_URL / MONGODB_URL point at
 * servers the user already runs. Stops only what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface Servers {
  redisUrl: string
  mongoUrl: string
  /** Human-readable: which servers were used. */
  describe: string[]
  stop (): Promise<void>
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPort (port: number, proc: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} before listening`)
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1')
      sock.once('connect', () => { sock.destroy(); resolve(true) })
      sock.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
}

function which (candidates: string[]): string | null {
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return c
      continue
    }
    for (const dir of (process.env.PATH ?? '').split(':')) {
      const full = join(dir, c)
      if (existsSync(full)) return full
    }
  }
  return null
}

function stopProcess (proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000)
    proc.once('exit', () => { clearTimeout(kill); resolve() })
    proc.kill('SIGTERM')
  })
}

/** One FerretDB v1.24 on the SQLite backend, in a temporary folder, on a free loopback port. */
export async function startFerretDB (): Promise<{ url: string, bin: string, dir: string, proc: ChildProcess }> {
  const bin = which([process.env.FERRETDB_BIN ?? '', join(root, '.ci', 'bin', 'ferretdb'), 'ferretdb'].filter((c) => c !== ''))
  if (bin === null) throw new Error('ferretdb not found: run `bash .ci/setup` (builds FerretDB v1.24.2 into .ci/bin) or set MONGODB_URL')
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-ferretdb-'))
  const port = await freePort()
  // Its own defaults would collide between two runs and reach for the network.
  const proc = spawn(bin, [
    '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`,
    `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'
  ], { stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await waitForPort(port, proc, 'ferretdb')
  } catch (err) {
    await stopProcess(proc)
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return { url: `mongodb://127.0.0.1:${port}/`, bin, dir, proc }
}

export { stopProcess }

export async function startServers (): Promise<Servers> {
  const started: ChildProcess[] = []
  const dirs: string[] = []
  const describe: string[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(started.map(stopProcess))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    let redisUrl = process.env.REDIS_URL
    if (redisUrl !== undefined && redisUrl !== '') {
      describe.push(`Redis: REDIS_URL (${redisUrl.replace(/\/\/[^@]*@/, '//***@')}), not started by the tests`)
    } else {
      const bin = which(['redis-server', '/usr/bin/redis-server'])
      if (bin === null) throw new Error('redis-server not found: run `bash .ci/setup` (Debian package redis-server) or set REDIS_URL')
      const dir = mkdtempSync(join(tmpdir(), 'sentinel-redis-'))
      dirs.push(dir)
      const port = await freePort()
      const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      started.push(proc)
      await waitForPort(port, proc, 'redis-server')
      redisUrl = `redis://127.0.0.1:${port}/0`
      describe.push(`Redis: started ${bin} on ${redisUrl}`)
    }

    let mongoUrl = process.env.MONGODB_URL
    if (mongoUrl !== undefined && mongoUrl !== '') {
      describe.push(`MongoDB: MONGODB_URL (${mongoUrl.replace(/\/\/[^@]*@/, '//***@')}), not started by the tests`)
    } else {
      const ferret = await startFerretDB()
      started.push(ferret.proc)
      dirs.push(ferret.dir)
      mongoUrl = ferret.url
      describe.push(`MongoDB: started ${ferret.bin} (FerretDB, SQLite backend) on ${mongoUrl}`)
    }
    return { redisUrl, mongoUrl, describe, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
