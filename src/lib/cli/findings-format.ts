import { relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { escapeControl, plural } from '../core/text.js'
import { dim, green, red, yellow, cyan } from './style.js'
import { PLUGIN_FAILED } from '../validate/engine.js'
import { pluginsOffNotice, type PluginsOff } from '../validate/policy.js'
import { ruleSection } from './docs.js'
import type { Finding } from '../validate/types.js'

export const FORMATS = ['text', 'json', 'github', 'sarif', 'junit'] as const

interface Result {
  root: string
  findings: Finding[]
  files: string[]
  summary: {
    errors: number
    warnings: number
    infos: number
    files: number
    plugins_off?: PluginsOff
    plugins?: Array<{ name: string; version: string; pack?: string; status: string }>
  }
  rules?: Array<{ id: string; description: string; defaultSeverity: string; plugin: string; docs?: string }>
}

function location(f: Finding): string {
  return f.file === '' ? `<${f.plugin === 'ssmd' ? 'ssmd' : f.plugin}>` : `${f.file}:${f.line}:${f.column}`
}

/** A file name or message for a terminal line: a newline or escape sequence in it is shown escaped, never acted on. */
const oneLine = (s: string) => escapeControl(s)

export function summaryLine(s: Result['summary']): string {
  const base = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')} in ${plural(s.files, 'file')}`
  return s.infos > 0 ? `${base} (${plural(s.infos, 'info', 'infos')})` : base
}

/**
 * Files with findings (✗ with errors, ! otherwise) and their findings, then the
 * summary naming those files. Passing files (✓) only with `verbose`.
 */
export function formatText(result: Result, options: { color: boolean; quiet?: boolean; onlyProblems?: boolean; verbose?: boolean }): string {
  const c = options.color
  const showPassing = options.verbose === true && !options.quiet && !options.onlyProblems
  const byFile = new Map<string, Finding[]>()
  // Passing files only when they are shown: sorting every file's name (localeCompare) cost ~40 ms at 32,500 files.
  if (showPassing) for (const file of result.files) byFile.set(file, [])
  for (const f of result.findings) {
    if (options.quiet && f.severity !== 'error') continue
    if (!byFile.has(f.file)) byFile.set(f.file, [])
    byFile.get(f.file)!.push(f)
  }
  const lines: string[] = []
  const files = [...byFile.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
  const width = Math.max(0, ...result.findings.map(f => location(f).length))
  for (const file of files) {
    const list = byFile.get(file)!
    const failed = list.some(f => f.severity === 'error')
    if (list.length === 0 && !showPassing) continue
    if (file !== '') lines.push(failed ? `${red('✗', c)} ${oneLine(file)}` : list.length > 0 ? `${yellow('!', c)} ${oneLine(file)}` : `${green('✓', c)} ${oneLine(file)}`)
    for (const f of list) {
      const sev = f.severity === 'error' ? red('error  ', c) : f.severity === 'warning' ? yellow('warning', c) : cyan('info   ', c)
      lines.push(`  ${oneLine(location(f)).padEnd(width)}  ${sev}  ${oneLine(f.message)}  ${dim(oneLine(f.rule), c)}`)
    }
  }
  if (lines.length > 0) lines.push('')
  lines.push(summaryLine(result.summary) + namedFiles(options.quiet ? result.findings.filter(f => f.severity === 'error') : result.findings))
  return lines.join('\n')
}

/** `: a.yaml (1 error), b.yaml (2 warnings)` — the files with findings, errors first, at most ten. */
function namedFiles(findings: Finding[]): string {
  const counts = new Map<string, { error: number; warning: number; info: number }>()
  for (const f of findings) {
    const key = f.file === '' ? `<${f.plugin}>` : f.file
    const n = counts.get(key) ?? { error: 0, warning: 0, info: 0 }
    n[f.severity]++
    counts.set(key, n)
  }
  if (counts.size === 0) return ''
  const entries = [...counts.entries()].sort((a, b) => b[1].error - a[1].error || b[1].warning - a[1].warning || a[0].localeCompare(b[0]))
  const shown = entries.slice(0, 10).map(([file, n]) => {
    const parts = [n.error ? plural(n.error, 'error') : '', n.warning ? plural(n.warning, 'warning') : '', n.info ? plural(n.info, 'info', 'infos') : ''].filter(Boolean)
    return `${oneLine(file)} (${parts.join(', ')})`
  })
  const more = entries.length > 10 ? `, and ${plural(entries.length - 10, 'more file')}` : ''
  return `: ${shown.join(', ')}${more}`
}

export function formatJson(result: Result): string {
  return JSON.stringify({ findings: result.findings, summary: result.summary }, null, 2)
}

function ghEscapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
function ghEscapeProperty(s: string): string {
  return ghEscapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * GitHub Actions workflow commands. GitHub resolves `file=` from the repository
 * root, so paths are relative to `base`: the git work-tree root (or --path-base).
 */
export function formatGithub(result: Result, base = process.cwd()): string {
  const lines = result.findings.map(f => {
    const level = f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'notice'
    const props =
      f.file === ''
        ? `title=${ghEscapeProperty(f.rule)}`
        : `file=${ghEscapeProperty(relativeTo(base, result.root, f.file))},line=${f.line},col=${f.column},title=${ghEscapeProperty(f.rule)}`
    return `::${level} ${props}::${ghEscapeData(f.message)}`
  })
  lines.push(summaryLine(result.summary))
  return lines.join('\n')
}

/** `file` (relative to `root`) as a '/'-separated path relative to `base`. */
function relativeTo(base: string, root: string, file: string): string {
  return relative(base, resolve(root, file)).split(sep).join('/')
}

/** A SARIF rule's `help`: a built-in rule's section of docs/rules.md. */
function help(r: { id: string; plugin: string }): { help?: { text: string; markdown: string } } {
  const section = r.plugin === 'ssmd' ? ruleSection(r.id) : undefined
  return section ? { help: { text: section, markdown: section } } : {}
}

/** SARIF 2.1.0 for code-scanning tools; artifact paths relative to `base` (SRCROOT), like GitHub's. */
export function formatSarif(result: Result, version: string, base = result.root): string {
  const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note')
  const ruleIds = new Map<string, number>()
  const descriptor = (r: NonNullable<Result['rules']>[number]) => ({
    id: r.id,
    shortDescription: { text: r.description || r.id },
    ...(r.docs ? { helpUri: r.docs } : {}),
    // Built-in rules carry their documentation (docs/rules.md, as `ssmd rules show` prints it) instead of a link.
    ...help(r),
    defaultConfiguration: { level: level(r.defaultSeverity) },
    properties: { plugin: r.plugin },
  })
  const rules = (result.rules ?? []).map((r, i) => {
    ruleIds.set(r.id, i)
    return descriptor(r)
  })
  for (const f of result.findings) {
    if (!ruleIds.has(f.rule)) {
      ruleIds.set(f.rule, rules.length)
      rules.push(descriptor(f.rule === PLUGIN_FAILED.id ? PLUGIN_FAILED : { id: f.rule, description: '', defaultSeverity: f.severity, plugin: f.plugin }))
    }
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        // Each plugin that ran, as name@version: which rules made the verdict (SARIF tool extensions).
        tool: {
          driver: { name: 'ssmd', version, rules },
          ...(result.summary.plugins && result.summary.plugins.length > 0
            ? { extensions: result.summary.plugins.map(p => ({ name: p.name, version: p.version, properties: { ...(p.pack ? { pack: p.pack } : {}), status: p.status } })) }
            : {}),
        },
        // Plugins ssmd.yaml requires were turned off: code-scanning tools show the run was incomplete.
        ...(result.summary.plugins_off && result.summary.plugins_off.required.length > 0
          ? { invocations: [{ executionSuccessful: true, toolExecutionNotifications: [{ level: 'warning', message: { text: pluginsOffNotice(result.summary.plugins_off) } }] }] }
          : {}),
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(base.endsWith(sep) ? base : base + sep).href } },
        results: result.findings.map(f => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.get(f.rule),
          level: level(f.severity),
          message: { text: f.message },
          ...(f.file === ''
            ? {}
            : {
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: relativeTo(base, result.root, f.file), uriBaseId: 'SRCROOT' },
                      region: { startLine: f.line, startColumn: f.column },
                    },
                  },
                ],
              }),
          properties: { path: f.path },
        })),
      },
    ],
  }
  return JSON.stringify(sarif, null, 2)
}

// eslint-disable-next-line no-control-regex -- XML 1.0 cannot carry these control characters, so they are dropped
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(XML_FORBIDDEN, '')
}

/** JUnit XML: one testcase per file; errors are failures, other findings go to system-out. */
export function formatJunit(result: Result): string {
  const files = [...new Set([...result.files, ...result.findings.map(f => f.file)])].sort()
  const cases = files.map(file => {
    const list = result.findings.filter(f => f.file === file)
    const errors = list.filter(f => f.severity === 'error')
    const others = list.filter(f => f.severity !== 'error')
    const name = file === '' ? '(plugins)' : file
    const body = [
      ...(errors.length > 0
        ? [
            `      <failure message="${xml(plural(errors.length, 'error'))}" type="${xml(errors[0].rule)}">${xml(errors.map(f => `${location(f)} ${f.message} (${f.rule})`).join('\n'))}</failure>`,
          ]
        : []),
      ...(others.length > 0 ? [`      <system-out>${xml(others.map(f => `${location(f)} ${f.severity} ${f.message} (${f.rule})`).join('\n'))}</system-out>`] : []),
    ]
    return body.length === 0
      ? `    <testcase classname="ssmd.validate" name="${xml(name)}"/>`
      : `    <testcase classname="ssmd.validate" name="${xml(name)}">\n${body.join('\n')}\n    </testcase>`
  })
  const failures = files.filter(file => result.findings.some(f => f.file === file && f.severity === 'error')).length
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ssmd validate" tests="${files.length}" failures="${failures}">`,
    `  <testsuite name="ssmd validate" tests="${files.length}" failures="${failures}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n')
}
