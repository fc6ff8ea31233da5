import { expect } from 'chai'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { makeCertificates, startEtcd } from '../helpers/etcd.js'
import { exampleRepo } from '../helpers/repo.js'
import { shortReason } from '../../src/lib/deploy/etcd.js'
import { dropServerNameWarning } from '../../src/lib/deploy/warnings.js'

const AS_OF = '2025-03-01'

describe('deploy: runtime warnings and gRPC reasons', () => {
  it('drops only the DEP0123 warning (TLS ServerName set to an IP address); every other warning still reaches its listeners', async () => {
    dropServerNameWarning()
    const seen: string[] = []
    const listener = (w: Error & { code?: string }) => seen.push(`${w.name} ${w.code ?? ''}`)
    process.on('warning', listener)
    try {
      process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066.', 'DeprecationWarning', 'DEP0123')
      process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066.', { type: 'DeprecationWarning', code: 'DEP0123' })
      process.emitWarning('another deprecation', { type: 'SsmdTestWarning', code: 'DEP9999' })
      process.emitWarning('plain', 'SsmdTestWarning')
      await new Promise(resolve => setImmediate(resolve))
    } finally {
      process.off('warning', listener)
    }
    expect(seen).to.deep.equal(['SsmdTestWarning DEP9999', 'SsmdTestWarning '])
  })

  it('keeps the whole reason of a gRPC failure, without the empty resolution note', () => {
    expect(shortReason('14 UNAVAILABLE: No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ')).to.equal(
      'unable to verify the first certificate',
    )
    expect(shortReason('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: DNS lookup failed')).to.equal(
      'connect ECONNREFUSED 127.0.0.1:1; DNS lookup failed',
    )
    const long = `Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: ${'10.1.1.1, '.repeat(25)}10.1.1.2`
    expect(shortReason(`No connection established. Last error: Error: ${long}. Resolution note: `)).to.equal(long)
    expect(shortReason('etcdserver: request timed out\nmore')).to.equal('etcdserver: request timed out')
  })
})

describe('ssmd deploy over TLS: no runtime warning, the whole TLS error (built CLI)', function () {
  this.timeout(120000)

  it('deploys to a TLS etcd on an IP address without DEP0123 or any other warning, even with --json -q; a TLS failure says all of why', async () => {
    const tls = { ...makeCertificates(), clientCertAuth: true }
    const etcd = await startEtcd(1, { tls })
    try {
      const dir = exampleRepo({ git: true })
      const endpoint = `https://${etcd.endpoints()}`
      const base = ['deploy', 'kalshi-dev', '--etcd', endpoint, '--as-of', AS_OF, '--dial-timeout', '3']
      const creds = ['--cacert', tls.ca, '--cert', tls.cert, '--key', tls.key]
      for (const extra of [[], ['--json', '-q'], ['-v']]) {
        const r = ssmdProcess([...base, ...creds, ...extra], { cwd: dir })
        expect(r.code, r.stderr).to.equal(0)
        expect(r.stderr, extra.join(' ')).to.equal('')
      }
      const status = ssmdProcess(['deploy', 'status', '--etcd', endpoint, '--as-of', AS_OF, ...creds, '--json', '-q'], { cwd: dir })
      expect(status.code, status.stderr).to.equal(0)
      expect(status.stderr).to.equal('')

      const untrusted = ssmdProcess([...base, '--cacert', tls.cert, '--cert', tls.cert, '--key', tls.key], { cwd: dir })
      expect(untrusted.code).to.equal(1)
      // The same through a named target whose certificate paths are relative to the ssmd root.
      mkdirSync(join(dir, 'certs'))
      for (const [name, from] of Object.entries({ 'ca.pem': tls.ca, 'client.pem': tls.cert, 'client-key.pem': tls.key })) copyFileSync(from, join(dir, 'certs', name))
      writeFileSync(
        join(dir, 'ssmd.yaml'),
        `targets:\n  prod:\n    etcd: ${endpoint}\n    prefix: /tls\n    ca: certs/ca.pem\n    cert: certs/client.pem\n    key: certs/client-key.pem\n`,
      )
      const target = ssmdProcess(['deploy', 'kalshi-dev', '--target', 'prod', '--as-of', AS_OF, '--json', '-q'], { cwd: dir })
      expect(target.code, target.stderr).to.equal(0)
      expect(target.stderr).to.equal('')
      expect(etcd.getPrefix('/tls/environments/kalshi-dev/').size).to.be.greaterThan(1)
      writeFileSync(join(dir, 'ssmd.yaml'), `targets:\n  prod:\n    etcd: ${endpoint}\n    ca: certs/missing.pem\n`)
      const missing = ssmdProcess(['deploy', 'kalshi-dev', '--target', 'prod', '--as-of', AS_OF], { cwd: dir })
      expect(missing.code).to.equal(2)
      expect(missing.stderr).to.equal(`Error: target 'prod' ca ${join(dir, 'certs', 'missing.pem')}: no such file\n`)

      // The CA given did not sign etcd's certificate: said whole, without gRPC's empty "Resolution note: ".
      expect(untrusted.stderr).to.equal(
        `Error: cannot reach etcd at ${etcd.endpoints()} (TLS failed: unable to verify the first certificate); check --etcd, --cacert, --cert and --key\n`,
      )
    } finally {
      await etcd.stop()
    }
  })
})
