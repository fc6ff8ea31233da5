import { expect } from 'chai'
import { Compiler } from '../../src/lib/capnp/compiler.js'
import { generateChildId } from '../../src/lib/capnp/ids.js'
import { readMessageTree } from '../../src/lib/capnp/wire.js'
import { buildCodeGeneratorRequest, canonicalRequest, requestDigests, type CanonicalRequest } from '../../src/lib/capnp/request.js'
import { corpusFiles, ssmdCheck, type CorpusFile } from './corpus-helper.js'
import { recordedProjects, recordedRequests } from './recorded.js'

/**
 * Files whose request still differs from capnp 1.x's, each with the reason. This list may only
 * shrink: a file that starts to agree fails the test until it is removed from here.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {}

const CAPNP_VERSION = { major: 1, minor: 4, micro: 0 }

/** Part-by-part differences between two canonical requests (empty when equal). */
function differences(expected: CanonicalRequest, actual: CanonicalRequest): string[] {
  const out: string[] = []
  for (const part of ['nodes', 'sourceInfo'] as const) {
    for (const [k, v] of Object.entries(expected[part])) {
      if (!(k in actual[part])) out.push(`${part} 0x${k}: missing`)
      else if (actual[part][k] !== v) out.push(`${part} 0x${k}:\n  capnp ${v}\n  ssmd  ${actual[part][k]}`)
    }
    for (const k of Object.keys(actual[part])) if (!(k in expected[part])) out.push(`${part} 0x${k}: extra`)
  }
  if (expected.files !== actual.files) out.push(`requestedFiles:\n  capnp ${expected.files}\n  ssmd  ${actual.files}`)
  if (expected.fileSourceInfo !== actual.fileSourceInfo) out.push(`fileSourceInfo:\n  capnp ${expected.fileSourceInfo}\n  ssmd  ${actual.fileSourceInfo}`)
  return out
}

/**
 * ssmd's CodeGeneratorRequests against capnp 1.4.0's, recorded in
 * test/fixtures/capnp-corpus/capnp-requests.json by scripts/capnp-verdicts.ts: equal field for field
 * (startByte/endByte aside) for every file capnp accepts. Runs without capnp installed.
 */
describe('capnp: requests of capnp 1.x on the corpora (recorded)', function () {
  this.timeout(120_000)
  const fixture = recordedRequests()
  const files = new Map<string, CorpusFile>()
  for (const p of recordedProjects()) for (const f of corpusFiles(p)) files.set(`${p.name}/${f.rel}`, f)

  const mine = (key: string): CanonicalRequest => {
    const r = ssmdCheck(files.get(key)!)
    expect(r.diagnostics, key).to.deep.equal([])
    return canonicalRequest(buildCodeGeneratorRequest([r.model!], { capnpVersion: CAPNP_VERSION }))
  }

  it('were recorded by capnp 1.4.0, with their provenance', () => {
    expect(fixture.capnp.version).to.equal("Cap'n Proto version 1.4.0")
    expect(fixture.capnp.source).to.match(/commit [0-9a-f]{40}/)
    expect(fixture.capnp.produced).to.contain('scripts/capnp-verdicts.ts')
    expect(Object.keys(fixture.digests).length).to.be.greaterThan(150)
    for (const k of Object.keys(fixture.digests)) expect(files.has(k), k).to.equal(true)
  })

  for (const key of [
    'ssmd-fixtures/embed-binary/binary.capnp',
    'ssmd-fixtures/doc-comments/docs.capnp',
    'capnproto-java/compiler/src/test/schema/test.capnp',
    'ssmd-fixtures/generic-alias-defaults/aliases.capnp',
  ]) {
    it(`${key}: equal to capnp's whole request, part by part`, () => {
      const expected = canonicalRequest(Buffer.from(fixture.full[key], 'base64'))
      expect(differences(expected, mine(key)).map(d => d.slice(0, 3000))).to.deep.equal([])
    })
  }

  it('every accepted file: the same request as capnp 1.4.0 (startByte/endByte aside, but those of fileSourceInfo identifiers), but for the known differences', () => {
    const differing: string[] = []
    for (const [key, want] of Object.entries(fixture.digests)) {
      const got = requestDigests(mine(key))
      if (got.request !== want.request || got.fileSourceInfo !== want.fileSourceInfo) differing.push(key)
    }
    expect(differing.filter(k => !(k in KNOWN_DIFFERENCES))).to.deep.equal([])
    expect(
      Object.keys(KNOWN_DIFFERENCES).filter(k => !differing.includes(k)),
      'now equal: remove from KNOWN_DIFFERENCES',
    ).to.deep.equal([])
  })
})

describe('capnp: fileSourceInfo identifiers', () => {
  /** The identifiers of ssmd's request for `text`: [their byte range, the text it covers, the id they resolve to]. */
  const identifiers = (text: string): Array<[string, string, bigint]> => {
    const c = new Compiler({ absPath: '/x/t.capnp', displayPath: 't.capnp' })
    const model = c.compile(text)
    expect(c.diagnostics).to.deep.equal([])
    const root = readMessageTree(buildCodeGeneratorRequest([model!])) as { p: Array<{ e: Array<{ p: Array<{ p: Array<{ e: Array<{ s: string }> }> }> }> }> }
    const bytes = Buffer.from(text, 'utf8')
    return root.p[1].e[0].p[2].p[0].e.map(i => {
      const d = Buffer.alloc(16)
      Buffer.from(i.s, 'hex').copy(d)
      const [start, end] = [d.readUInt32LE(0), d.readUInt32LE(4)]
      return [`${start}-${end}`, bytes.subarray(start, end).toString('utf8'), d.readBigUInt64LE(8)]
    })
  }

  // the expected identifiers are capnp 1.4.0's for the same text
  it('count UTF-8 bytes (not characters) and keep CRLF line ends, each name with what it resolves to', () => {
    const text = '@0xd1c2b3a495867768;\r\n# prix en €\r\nusing T = Text;\r\nstruct Cotation { nom @0 :T = "Zürich"; cote @1 :List(Int32); # €\r\n q @2 :Cotation; }\r\n'
    expect(identifiers(text)).to.deep.equal([
      ['47-51', 'Text', 1026n],
      ['80-81', 'T', 1026n],
      ['104-108', 'List', 1028n],
      ['109-114', 'Int32', 1018n],
      ['131-139', 'Cotation', 13442614018652426774n],
    ])
  })

  it('a member name covers its whole path, after its parent; generic parameters are not identifiers', () => {
    const text = '@0xd1c2b3a495867768;\nstruct Outer(P) { struct Inner {} a @0 :Outer(P).Inner; b @1 :P; }\n'
    const outer = generateChildId(0xd1c2b3a495867768n, 'Outer')
    expect(identifiers(text)).to.deep.equal([
      ['61-66', 'Outer', outer],
      ['61-75', 'Outer(P).Inner', generateChildId(outer, 'Inner')],
    ])
  })
})
