import { definitionCache, compareDefinitions } from '../../domain/schema/definitions.js'
import type { RuleDefinition } from '../types.js'
import { versionNumber } from '../../domain/versions.js'
import { items, str, type Obj } from './util.js'
import { reportOverlaps } from './feed.js'

const PATH_PROBLEMS = new Set(['absolute', 'escape', 'symlink'])

/** JSON Pointer of the key naming a version's definition file. */
function refPath(version: Obj, index: number): string {
  return typeof version.schema_file === 'string' ? `/versions/${index}/schema_file` : '/schema_file'
}

export const schemaRules: Record<string, RuleDefinition> = {
  'schema/version-overlap': {
    severity: 'error',
    description: 'No two versions of a schema cover the same day; version ids are unique.',
    schema(doc, ctx) {
      reportOverlaps(doc.data, ctx, 'schema')
    },
  },
  'schema/path-escape': {
    severity: 'error',
    description: 'Definition paths are relative, stay inside schemas/ and are not symlinks leading outside the repository.',
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      const reported = new Set<string>()
      for (const [v, i] of items(doc.data, 'versions')) {
        const def = await cache.forVersion(doc, i)
        if (def?.problem && PATH_PROBLEMS.has(def.problem.kind) && !reported.has(refPath(v, i))) {
          reported.add(refPath(v, i))
          ctx.report({ path: refPath(v, i), message: def.problem.message })
        }
      }
    },
  },
  'schema/file-missing': {
    severity: 'error',
    description: "Each version's definition file exists inside schemas/.",
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      const reported = new Set<string>()
      for (const [v, i] of items(doc.data, 'versions')) {
        const def = await cache.forVersion(doc, i)
        if (def?.problem && !PATH_PROBLEMS.has(def.problem.kind) && !reported.has(refPath(v, i))) {
          reported.add(refPath(v, i))
          ctx.report({ path: refPath(v, i), message: `${def.problem.message}${def.problem.kind === 'missing' ? ` (referenced by ${String(v.version)}); add the file or fix the path` : ''}` })
        }
      }
    },
  },
  'schema/hash-mismatch': {
    severity: 'error',
    description: 'For every version, the stored hash equals the SHA-256 of its definition file.',
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      for (const [v, i] of items(doc.data, 'versions')) {
        const stored = str(v.hash)
        if (!stored || !/^sha256:[0-9a-f]{64}$/.test(stored)) continue
        const def = await cache.forVersion(doc, i)
        if (def?.hash && def.hash !== stored) {
          ctx.report({ path: `/versions/${i}/hash`, message: `hash of ${String(v.version)} does not match ${def.display}: stored ${stored}, file has ${def.hash}; run 'ssmd schema hash ${doc.name}' if the change is intended` })
        }
      }
    },
  },
  'schema/parse': {
    severity: 'error',
    description: 'Each definition file parses in its format; every Cap\'n Proto error is one finding with its line:col.',
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      const done = new Set<string>()
      for (const [, i] of items(doc.data, 'versions')) {
        const def = await cache.forVersion(doc, i)
        if (!def?.parsed || done.has(def.display)) continue
        done.add(def.display)
        for (const p of def.parsed.problems) ctx.report({ file: p.file, line: p.line, column: p.column, message: p.message })
      }
    },
  },
  'schema/compat-claim': {
    severity: 'error',
    description: 'Each compatible_with entry names an older version, and the newer definition really is a compatible evolution of it.',
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      const versions = items(doc.data, 'versions')
      const byId = new Map(versions.map(([v, i]) => [String(v.version), i]))
      for (const [v, i] of versions) {
        const claims = v.compatible_with
        if (!Array.isArray(claims)) continue
        for (const [k, claim] of claims.entries()) {
          const path = `/versions/${i}/compatible_with/${k}`
          const olderIndex = byId.get(String(claim))
          if (olderIndex === undefined) {
            ctx.report({ path, message: `compatible_with names '${String(claim)}', which is not a version of schema '${doc.name}'` })
            continue
          }
          if (!(versionNumber(String(claim)) < versionNumber(String(v.version)))) {
            ctx.report({ path, message: `compatible_with names '${String(claim)}', which is not older than ${String(v.version)}` })
            continue
          }
          const older = await cache.forVersion(doc, olderIndex)
          const newer = await cache.forVersion(doc, i)
          if (!older || !newer) continue
          const changes = await compareDefinitions(older, newer)
          const breaking = changes?.filter(c => c.severity === 'breaking') ?? []
          if (breaking.length > 0) {
            const list = breaking.map(c => `${c.message} (${c.file}:${c.line}:${c.column})`).join('; ')
            ctx.report({ path, message: `${String(v.version)} is not compatible with ${String(claim)}: ${list}` })
          }
        }
      }
    },
  },
  'schema/undocumented-break': {
    severity: 'warning',
    description: 'A version that is not compatible with the previous one explains it in breaking_changes.',
    async schema(doc, ctx) {
      const cache = definitionCache(ctx.workspace)
      const versions = items(doc.data, 'versions').filter(([v]) => Number.isFinite(versionNumber(String(v.version))))
      versions.sort((a, b) => versionNumber(String(a[0].version)) - versionNumber(String(b[0].version)))
      for (let n = 1; n < versions.length; n++) {
        const [v, i] = versions[n]
        if (typeof v.breaking_changes === 'string' && v.breaking_changes.trim() !== '') continue
        const [p, pi] = versions[n - 1]
        const older = await cache.forVersion(doc, pi)
        const newer = await cache.forVersion(doc, i)
        if (!older || !newer) continue
        const breaking = (await compareDefinitions(older, newer))?.filter(c => c.severity === 'breaking') ?? []
        if (breaking.length > 0) {
          ctx.report({ path: `/versions/${i}`, message: `${String(v.version)} breaks compatibility with ${String(p.version)} (${breaking.length} breaking change${breaking.length === 1 ? '' : 's'}, first: ${breaking[0].message}) but has no breaking_changes text` })
        }
      }
    },
  },
}

