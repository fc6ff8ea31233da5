// The defaults the file format declares live in src/lib/spec/defaults.ts: the
// JSON Schemas say exactly those, and no code outside src/lib/spec falls back
// to a literal of its own for a field that has one.
import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { FEED_DEFAULTS, FEED_VERSION_DEFAULTS, KEY_DEFAULTS, LOCAL_CONFIG_DEFAULTS, SCHEDULE_DEFAULTS } from '../../../src/lib/spec/defaults.js'
import { PROJECT_ROOT } from '../../helpers/repo.js'

/** Every `default` of a JSON Schema, as `<file> <path>` → value. */
function declaredDefaults(): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const walk = (node: unknown, at: string) => {
    if (node === null || typeof node !== 'object') return
    for (const [k, v] of Object.entries(node)) {
      if (k === 'default') out[at] = v
      else walk(v, `${at}/${k}`)
    }
  }
  for (const f of readdirSync(join(PROJECT_ROOT, 'schemas-json')).filter(f => f.endsWith('.schema.json')))
    walk(JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas-json', f), 'utf8')), f)
  return out
}

const prefixed = (prefix: string, values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}/${k}`, v]))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

describe('spec defaults', () => {
  it('the JSON Schemas declare exactly the defaults of src/lib/spec/defaults.ts', () => {
    expect(declaredDefaults()).to.deep.equal({
      ...prefixed('config.schema.json/properties', LOCAL_CONFIG_DEFAULTS),
      ...prefixed('environment.schema.json/properties/schedule/properties', SCHEDULE_DEFAULTS),
      ...prefixed('environment.schema.json/properties/keys/additionalProperties/properties', KEY_DEFAULTS),
      ...prefixed('feed.schema.json/properties', FEED_DEFAULTS),
      ...prefixed('feed.schema.json/properties/versions/items/properties', FEED_VERSION_DEFAULTS),
    })
  })

  it('no code outside src/lib/spec falls back to a literal for a field with a declared default', () => {
    const fields = new Set(Object.keys(declaredDefaults()).map(k => k.split('/').at(-1)!))
    const literals = [...new Set(Object.values(declaredDefaults()).map(v => JSON.stringify(v)))].map(v => v.replace(/^"(.*)"$/, "'$1'"))
    const fallback = new RegExp(`\\b(${[...fields].join('|')})\\s*(?:\\?\\?\\s*(?:${literals.join('|')})|[!=]==\\s*(?:true|false))(?![\\w'])`)
    const found: string[] = []
    for (const file of sources(join(PROJECT_ROOT, 'src')).filter(f => !f.includes(`${join('src', 'lib', 'spec')}`))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (fallback.test(line)) found.push(`${relative(PROJECT_ROOT, file)}:${i + 1}: ${line.trim()}`)
        })
    }
    expect(found).to.deep.equal([])
    // The pattern does find what it looks for.
    expect(fallback.test("status: feed.status ?? 'active',")).to.equal(true)
    expect(fallback.test('required: v.required !== false,')).to.equal(true)
    expect(fallback.test("output: this.flags.output ?? '-',")).to.equal(false)
  })
})
