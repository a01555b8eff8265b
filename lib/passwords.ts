import bcrypt from 'bcrypt'

// flask-sentinel wrote $2a$ and $2b$ hashes with py-bcrypt; PHP-made $2y$ hashes are the same
// algorithm. The bcrypt package verifies $2a$ and $2b$ natively; $2y$ is read as $2b$.
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/

// A fixed hash to compare against when the username is unknown, so that the answer costs one
// bcrypt comparison either way and timing does not reveal which usernames exist.
const dummyHashes = new Map<number, Promise<string>>()

export class Passwords {
  readonly cost: number

  constructor (cost: number) {
    this.cost = cost
    // Start computing the dummy hash now, off the event loop, so the first unknown username
    // does not pay for it.
    this.dummyHash().catch(() => {})
  }

  hash (password: string): Promise<string> {
    return bcrypt.hash(password, this.cost)
  }

  /** Compares in constant time; a missing or unreadable hash still costs one comparison. */
  async verify (password: string, hash: string | undefined | null): Promise<boolean> {
    if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
      await bcrypt.compare(password, await this.dummyHash())
      return false
    }
    return bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'))
  }

  /** A hash made with a lower cost than configured is upgraded on the next successful login. */
  needsRehash (hash: string): boolean {
    const match = BCRYPT.exec(hash)
    return match === null || Number(match[1]) < this.cost
  }

  private dummyHash (): Promise<string> {
    const cached = dummyHashes.get(this.cost)
    if (cached !== undefined) return cached
    const hash = bcrypt.hash('fastify-sentinel dummy password', this.cost)
    dummyHashes.set(this.cost, hash)
    return hash
  }
}
