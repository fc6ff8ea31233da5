import { lstatSync, readlinkSync } from 'node:fs'
import { secretIn, secretsInText } from '../../domain/secrets.js'
import { readListed, RealPaths } from '../../io/read.js'
import { sameStamp, settled, stampOf, type FactTable, type Stamp } from '../../workspace/cache.js'
import type { OtherFile } from '../../workspace/inventory.js'
import { builtinRule, eachString } from './util.js'

/** Largest file scanned: what `ssmd commit` itself reads of a working file. */
const MAX_SCAN_BYTES = 64 * 1024 * 1024

type Scan = { hits: Array<{ line: number; column: number; what: string }>; unscanned?: undefined } | { hits?: undefined; unscanned: string }

/** Line and column (1-based) of every secret in a text. */
function locate(text: string): Scan {
  const hits: Array<{ line: number; column: number; what: string }> = []
  let line = 1
  let lineStart = 0
  let scanned = 0
  for (const { index, what } of secretsInText(text)) {
    for (let i = text.indexOf('\n', scanned); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
      line++
      lineStart = i + 1
    }
    scanned = index
    hits.push({ line, column: index - lineStart + 1, what })
  }
  return { hits }
}

/** A scan kept in the validation cache: the file's stat data then, and the git blob id (hex) of the content scanned when git's index proved it. */
interface StoredScan {
  stamp: Stamp
  scan: Scan
  blob?: string
}

/**
 * Scans a file that is not a document, as git would store it: a symbolic
 * link's target, a file's bytes. Results are kept in the validation cache by
 * the file's stat data (`lstat`: a link is not followed), like documents, and
 * where those differ (a fresh checkout), by the blob id git's index proves for
 * the file.
 */
function scanFile(f: OtherFile, root: string, table: FactTable | undefined, realPaths: RealPaths): Scan {
  // Stat data only for the cache: without one, a file gone since the listing is a read that finds nothing.
  let stamp: Stamp | undefined
  if (table) {
    try {
      stamp = stampOf(lstatSync(f.abs))
    } catch {
      return { hits: [] }
    }
  }
  const stored = table?.get(f.path) as StoredScan | undefined
  if (stored && stamp && sameStamp(stored.stamp, stamp) && settled(stamp)) {
    table!.set(f.path, stored)
    return stored.scan
  }
  // Stat data prove nothing: git's index may name the content (asked once).
  const proven = table && stamp && !f.symlink ? table.blobId(f.path, stamp) : undefined
  if (stored && stamp && proven !== undefined && stored.blob === proven) {
    // The content scanned before; its new stat data, once settled, are kept but do not make the cache be written (see DocumentCache.save).
    if (settled(stamp)) table!.restamp(f.path, { ...stored, stamp })
    else table!.set(f.path, stored)
    return stored.scan
  }
  let scan: Scan
  let blob: string | undefined
  if (f.symlink) {
    let target: string
    try {
      target = readlinkSync(f.abs)
    } catch {
      return { hits: [] }
    }
    scan = locate(target)
  } else {
    // Listed as a regular file (not a link): opened without a stat first. The index's id names the bytes only if the read saw the same stat data.
    const statAfter = (after: Stamp) => {
      if (stamp && sameStamp(stampOf(after), stamp)) blob = proven
    }
    const got = readListed(f.abs, { maxBytes: MAX_SCAN_BYTES, display: f.path, root, realPaths, statAfter: proven === undefined ? undefined : statAfter })
    if (got.refusal) {
      if (got.refusal.kind === 'missing') return { hits: [] }
      return { unscanned: got.refusal.message }
    }
    scan = locate(got.bytes.toString('utf8'))
  }
  if (table && stamp && settled(stamp)) table.set(f.path, blob === undefined ? { stamp, scan } : { stamp, scan, blob })
  return scan
}

/** What counts as a secret is the shared vocabulary (domain/secrets.ts): input checks and the output redactor use the same. */
export default builtinRule({
  meta: {
    id: 'security/secret-literal',
    uses: ['source', 'repository'],
    severity: 'error',
    scope: 'file',
    description:
      'No value looks like a secret (private keys, well-known token shapes, a random string under a secret-like key), and no other file a commit would take (kept files, definitions, unrecognised files) holds a token shape or a URL with credentials.',
    messages: {
      tokenShape: 'value looks like {{shape}}; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
      randomUnderSecretKey: "'{{key}}' holds what looks like a secret value; store a reference (env, sealed-secret/<name>, vault/<path>) instead and rotate the secret",
      inText: 'this looks like {{shape}}; never commit secret values — remove it, and rotate the leaked secret',
      unscanned: '{{message}}; it could not be scanned for secrets, so a commit cannot take it: remove it or make it a readable file',
    },
  },
  document(doc, ctx) {
    if (doc.data === undefined) {
      // Not YAML ssmd can read (yaml/syntax says why): its text is what a commit would take.
      const source = ctx.source(doc)
      const text = source.problem && !source.refused ? source.text : undefined
      const scan = text === undefined ? undefined : locate(text)
      for (const h of scan?.hits ?? []) ctx.report({ line: h.line, column: h.column, messageId: 'inText', data: { shape: h.what } })
      return
    }
    eachString(doc.data, (value, key, path) => {
      const what = secretIn(value, key)
      // URLs with credentials are security/credentials-in-url's.
      if (what === undefined || what === 'a URL with credentials') return
      if (what === 'a random token') ctx.report({ path: path(), messageId: 'randomUnderSecretKey', data: { key } })
      else ctx.report({ path: path(), messageId: 'tokenShape', data: { shape: what } })
    })
  },
  /** Every file under the ssmd folders that is not a document: scanned as text. */
  repository(_ws, ctx) {
    const ws = ctx.repository
    // A name that is not UTF-8 leads to no file (repo/unrecognised-file reports it): there is nothing to open by it.
    const files = ws.otherFiles.filter(f => f.why !== 'encoding')
    if (files.length === 0) return
    const table = ws.cache?.table('secret-scan')
    const realPaths = new RealPaths()
    for (const f of files) {
      const scan = scanFile(f, ws.root, table, realPaths)
      if (scan.unscanned !== undefined) {
        ctx.report({ file: f.path, line: 1, column: 1, messageId: 'unscanned', data: { message: scan.unscanned } })
        continue
      }
      for (const h of scan.hits) ctx.report({ file: f.path, line: h.line, column: h.column, messageId: 'inText', data: { shape: h.what } })
    }
  },
})
