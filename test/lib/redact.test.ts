import { expect } from 'chai'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { redact as redactSecrets } from '../../src/lib/domain/secrets.js'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

describe('secrets never reach finding messages', () => {
  it('masks passwords in URLs and token shapes', () => {
    expect(redactSecrets("transport url 'http://admin:hunter2@nats:4222' does not fit nats")).to.equal("transport url 'http://admin:****@nats:4222' does not fit nats")
    expect(redactSecrets('got AKIAIOSFODNN7EXAMPLE here')).to.equal('got AKIA**** here')
    expect(redactSecrets('plain text, nats://localhost:4222')).to.equal('plain text, nats://localhost:4222')
  })

  it('a wrong-scheme URL with a password is reported without the password (slow)', async () => {
    const dir = exampleRepo()
    const p = join(dir, 'environments/kalshi-dev.yaml')
    writeFileSync(p, readFileSync(p, 'utf8').replace('url: nats://localhost:4222', 'url: http://admin:s3cr3t-pa55@localhost:4222'))
    for (const format of ['text', 'json', 'github', 'sarif', 'junit']) {
      const r = await ssmd(['validate', '--format', format], { cwd: dir })
      expect(r.code).to.equal(1)
      expect(r.stdout + r.stderr, format).not.to.contain('s3cr3t-pa55')
      expect(r.stdout).to.match(/env\/transport|security\/credentials-in-url/)
    }
  })
})
