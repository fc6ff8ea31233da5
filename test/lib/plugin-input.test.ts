// How ssmd hands a plugin's process its input (src/lib/validate/plugin-input.ts): the writer and the
// reader of the real protocol, in one process, over a real spool file and a stream standing in for the pipe.
import { expect } from 'chai'
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { InputWriter, inputLines, openSpool } from '../../src/lib/validate/plugin-input.js'

/** Every line the reader yields, and every line that crossed the pipe. */
async function roundTrip(lines: string[], spool: { write?: number; read?: number }): Promise<{ read: string[]; piped: string[] }> {
  const pipe = new PassThrough()
  const piped: string[] = []
  pipe.on('data', (b: Buffer) => piped.push(...b.toString('utf8').split('\n').filter(Boolean)))
  const writer = new InputWriter(spool.write)
  writer.connect(pipe)
  for (const line of lines.slice(0, -1)) writer.line(line)
  await new Promise<void>(resolve => writer.end(lines[lines.length - 1], resolve))
  writer.close()
  const reading = new PassThrough()
  reading.end(piped.map(l => `${l}\n`).join(''))
  const read: string[] = []
  for await (const line of inputLines(reading, spool.read)) read.push(line)
  return { read, piped }
}

describe('plugin input: a spool file, and the pipe only says how much of it is written', () => {
  const lines = ['{"budgetMs":10000}', `[${JSON.stringify({ name: 'ünïcødé – 価格', big: 'x'.repeat(1 << 20) })}]`, '[]', '{"root":"/r","now":0}']
  let saved: string | undefined
  let dir: string

  beforeEach(() => {
    saved = process.env.TMPDIR
    dir = mkdtempSync(join(tmpdir(), 'ssmd-spool-test-'))
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
    chmodSync(dir, 0o700)
    rmSync(dir, { recursive: true, force: true })
  })

  it('hands over every line, in order and byte for byte, while the pipe carries only byte counts', async () => {
    process.env.TMPDIR = dir
    const spool = openSpool()
    expect(spool).to.not.equal(undefined)
    const { read, piped } = await roundTrip(lines, spool!)
    closeSync(spool!.read)
    expect(read).to.deep.equal(lines)
    expect(piped).to.have.length(lines.length)
    for (const p of piped) expect(p).to.match(/^[0-9]+$/)
  })

  it('leaves no file behind: the name is gone before anything is written', () => {
    process.env.TMPDIR = dir
    const spool = openSpool()!
    expect(readdirSync(dir)).to.deep.equal([])
    closeSync(spool.read)
    closeSync(spool.write)
  })

  it('makes no spool where the temporary folder cannot be written, and the lines then go through the pipe', async () => {
    chmodSync(dir, 0o500)
    process.env.TMPDIR = dir
    // (root may write anywhere: then the spool is made, and the first case covers it)
    if (process.getuid?.() !== 0) expect(openSpool()).to.equal(undefined)
    const { read, piped } = await roundTrip(lines, {})
    expect(read).to.deep.equal(lines)
    expect(piped).to.deep.equal(lines)
  })

  it('sends a line through the pipe when the spool cannot take it (a full disk), and the rest after it', async () => {
    // /dev/full refuses every write with ENOSPC, as a full temporary folder would.
    const full = openSync('/dev/full', 'w')
    const { read, piped } = await roundTrip(lines, { write: full })
    expect(read).to.deep.equal(lines)
    expect(piped).to.deep.equal(lines)
  })

  it('refuses a byte count with no spool to read, or one that goes backwards', async () => {
    const read = async (text: string, spool?: number) => {
      const pipe = new PassThrough()
      pipe.end(text)
      const out: string[] = []
      for await (const line of inputLines(pipe, spool)) out.push(line)
      return out
    }
    let error: unknown
    await read('12\n').catch(e => (error = e))
    expect((error as Error).message).to.equal('malformed input')
    process.env.TMPDIR = dir
    const spool = openSpool()!
    error = undefined
    await read('0\n', spool.read).catch(e => (error = e))
    expect((error as Error).message).to.equal('malformed input')
    error = undefined
    await read('5\n', spool.read).catch(e => (error = e))
    expect((error as Error).message).to.equal('the input file ended early')
    closeSync(spool.read)
    closeSync(spool.write)
  })
})
