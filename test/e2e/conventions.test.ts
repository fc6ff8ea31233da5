import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { pluginHome } from '../helpers/plugins.js'
import { EXAMPLE_REPO, tempDir } from '../helpers/repo.js'

const oneLine = (s: string) => expect(s.trim().split('\n'), s).to.have.length(1)

describe('terminal conventions (built CLI)', () => {
  it('-h shows help for the top level, a topic and a command', () => {
    const top = ssmdProcess(['-h'])
    expect(top.code, top.stderr).to.equal(0)
    expect(top.stdout).to.match(/^USAGE/m)
    const topic = ssmdProcess(['feed', '-h'])
    expect(topic.code, topic.stderr).to.equal(0)
    expect(topic.stdout).to.match(/feed create/)
    const cmd = ssmdProcess(['feed', 'create', '-h'])
    expect(cmd.code, cmd.stderr).to.equal(0)
    expect(cmd.stdout).to.match(/--endpoint/)
  })

  it('accepts global flags before, between and after the command words', () => {
    const expected = ssmdProcess(['feed', 'list', '-C', EXAMPLE_REPO]).stdout
    expect(expected).to.match(/kalshi/)
    for (const args of [
      ['-C', EXAMPLE_REPO, 'feed', 'list'],
      ['feed', '-C', EXAMPLE_REPO, 'list'],
      [`--dir=${EXAMPLE_REPO}`, 'feed', 'list'],
    ]) {
      const r = ssmdProcess(args, { cwd: tempDir() })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
      expect(r.stdout).to.equal(expected)
    }
    const json = ssmdProcess(['--json', '-C', EXAMPLE_REPO, 'feed', 'list'])
    expect(json.code, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout).map((f: { name: string }) => f.name)).to.include('kalshi')
    const quiet = ssmdProcess(['-q', 'feed', '-C', EXAMPLE_REPO, 'list'])
    expect(quiet.code).to.equal(0)
    expect(quiet.stdout).to.equal('')
  })

  it('an unknown command exits 2 with a suggestion and never prompts or runs a guess', () => {
    const r = ssmdProcess(['fed', 'list', '-C', EXAMPLE_REPO], { input: 'y\n' })
    expect(r.code).to.equal(2)
    oneLine(r.stderr)
    expect(r.stderr).to.equal("Error: 'fed list' is not an ssmd command; did you mean 'ssmd feed list'? (see 'ssmd --help')\n")
    expect(r.stdout).to.equal('')
    const before = ssmdProcess(['-C', EXAMPLE_REPO, 'feed', 'lst'])
    expect(before.code).to.equal(2)
    expect(before.stderr).to.match(/'feed lst' is not an ssmd command; did you mean 'ssmd feed list'\? \(see 'ssmd feed --help'\)/)
  })

  it("plugin commands' parser errors read the same way", () => {
    const env = pluginHome()
    const missing = ssmdProcess(['plugins', 'install'], { env })
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.equal("Error: ssmd plugins install: missing argument <plugin>; usage: ssmd plugins install <plugin> (see 'ssmd plugins install --help')\n")
    const typo = ssmdProcess(['plugins', 'instal', 'x'], { env })
    expect(typo.code).to.equal(2)
    expect(typo.stderr).to.equal("Error: 'plugins instal x' is not an ssmd command; did you mean 'ssmd plugins install'? (see 'ssmd plugins --help')\n")
  })

  it('an unknown command answers JSON with --json', () => {
    const r = ssmdProcess(['fed', 'list', '--json'])
    expect(r.code).to.equal(2)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      error: { code: 'usage', message: "'fed list' is not an ssmd command; did you mean 'ssmd feed list'? (see 'ssmd --help')", exit_code: 2 },
    })
  })

  it('extra words after a command without arguments are a usage error', () => {
    const r = ssmdProcess(['feed', 'list', 'a', 'b', '-C', EXAMPLE_REPO])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.equal("Error: ssmd feed list: unexpected arguments 'a' and 'b'; it takes none (see 'ssmd feed list --help')\n")
  })

  it('an unknown flag exits 2 with a suggestion', () => {
    const r = ssmdProcess(['feed', 'create', 'x', '--type', 'rest', '--endpiont', 'https://x', '-C', tempDir()])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.equal("Error: ssmd feed create: unknown flag --endpiont (did you mean --endpoint?) (see 'ssmd feed create --help')\n")
    const top = ssmdProcess(['--verison'])
    expect(top.code).to.equal(2)
    expect(top.stderr).to.match(/unknown flag --verison; did you mean '--version'\?/)
  })

  it('parser errors read as one ssmd line: several missing flags listed once', () => {
    const dir = tempDir()
    const missing = ssmdProcess(['feed', 'create', 'x', '-C', dir])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.equal("Error: ssmd feed create: missing required flags --endpoint and --type (see 'ssmd feed create --help')\n")
    const int = ssmdProcess(['feed', 'create', 'x', '--type', 'rest', '--endpoint', 'https://x', '--rate-limit', 'abc', '-C', dir])
    expect(int.code).to.equal(2)
    expect(int.stderr).to.match(/^Error: ssmd feed create: --rate-limit: "abc" is not a whole number; pass a whole number from 1 to \d+ \(see 'ssmd feed create --help'\)\n$/)
    const option = ssmdProcess(['feed', 'create', 'x', '--type', 'webscket', '--endpoint', 'wss://x', '-C', dir])
    expect(option.stderr).to.equal(
      "Error: ssmd feed create: --type expects one of websocket, rest, multicast, got 'webscket'; did you mean 'websocket'? (see 'ssmd feed create --help')\n",
    )
    const all = ssmdProcess(['feed', 'create', '-C', dir])
    expect(all.code).to.equal(2)
    expect(all.stderr).to.equal(
      "Error: ssmd feed create: missing argument <name> and required flags --type and --endpoint; usage: ssmd feed create <name> --type <value> --endpoint <value> (see 'ssmd feed create --help')\n",
    )
    const status = ssmdProcess(['schema', 'set-status', 'trade:v2', 'activ', '-C', EXAMPLE_REPO])
    expect(status.code).to.equal(2)
    expect(status.stderr).to.equal(
      "Error: ssmd schema set-status: expected one of draft, active, deprecated, got 'activ'; did you mean 'active'? (see 'ssmd schema set-status --help')\n",
    )
    const arg = ssmdProcess(['feed', 'show', '-C', EXAMPLE_REPO])
    expect(arg.code).to.equal(2)
    expect(arg.stderr).to.equal("Error: ssmd feed show: missing argument <name>; usage: ssmd feed show <name> (see 'ssmd feed show --help')\n")
    const both = ssmdProcess(['feed', 'show', 'kalshi', '--version', 'v1', '--as-of', '2024-01-01', '-C', EXAMPLE_REPO])
    expect(both.stderr).to.equal("Error: ssmd feed show: --as-of and --version cannot be used together; give only one (see 'ssmd feed show --help')\n")
    for (const r of [missing, int, option, arg, both]) expect(r.stderr).not.to.match(/following error|See more help|Parsing --/)
  })

  it('-v prints an expected error once, without a stack trace', () => {
    const r = ssmdProcess(['feed', 'show', 'nope', '-v', '-C', EXAMPLE_REPO])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: feed 'nope' not found (ssmd feed list)\n")
    const usage = ssmdProcess(['feed', 'create', 'x', '-v', '-C', tempDir()])
    expect(usage.code).to.equal(2)
    oneLine(usage.stderr)
  })

  it('warns about unknown settings and values in .ssmd/config.yaml, with a suggestion', () => {
    const dir = tempDir()
    expect(ssmdProcess(['init', '--no-git'], { cwd: dir }).code).to.equal(0)
    writeFileSync(join(dir, '.ssmd', 'config.yaml'), '# mine\ncolour: never\noutput: jsn\ncolor: always\nfoo: 1\n')
    const r = ssmdProcess(['feed', 'list'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.equal(
      [
        "warning: .ssmd/config.yaml:2:1: unknown setting 'colour' is ignored; did you mean 'color'?",
        "warning: .ssmd/config.yaml:3:9: output 'jsn' is ignored: use text or json; did you mean 'json'?",
        "warning: .ssmd/config.yaml:5:1: unknown setting 'foo' is ignored; the settings are color and output",
        '',
      ].join('\n'),
    )
    // The valid setting still applies: output stays text because 'jsn' was ignored.
    expect(r.stdout).to.match(/^No feeds yet/)
    expect(ssmdProcess(['feed', 'list', '-q'], { cwd: dir }).stderr).to.equal('')
  })
})
