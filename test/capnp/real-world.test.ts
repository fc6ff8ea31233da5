import { expect } from 'chai';
import * as fs from 'node:fs';
import { capnpAvailable, decodeNodes, ssmdNodes } from './compiler-helper.js';
import {
  capnpVerdicts, corpusFiles, corpusProjects, olderCompilerDifferences, ssmdCheck, ssmdErrorKey, writeStdDir,
  type CapnpVerdict, type CorpusProject,
} from './corpus-helper.js';

/**
 * The real-world corpus against the official compiler: same verdict on every file, an ssmd error
 * on every line capnp reports one, and the same nodes wherever both accept.
 */
describe('capnp: real-world corpus against the official compiler', function () {
  this.timeout(120_000);
  const version = capnpAvailable();
  const projects = corpusProjects();
  const total = projects.reduce((n, p) => n + p.files.length, 0);
  let stdDir = '';
  const verdicts = new Map<string, Map<string, CapnpVerdict>>();
  const decoded = new Map<Uint8Array, ReturnType<typeof decodeNodes>>();

  before(() => {
    if (!version) return;
    stdDir = writeStdDir();
  });
  after(() => {
    if (stdDir) fs.rmSync(stdDir, { recursive: true, force: true });
  });

  it('holds at least 150 files from projects other than Cap\'n Proto', () => {
    expect(total).to.be.at.least(150);
    expect(projects.map((p) => p.name)).to.not.include('capnproto');
  });

  const verdictsOf = (p: CorpusProject): Map<string, CapnpVerdict> => {
    let v = verdicts.get(p.name);
    if (!v) {
      v = capnpVerdicts(p, stdDir);
      verdicts.set(p.name, v);
    }
    return v;
  };

  for (const project of projects) {
    describe(project.name, () => {
      for (const f of corpusFiles(project)) {
        it(f.rel, function () {
          if (!version) {
            console.warn(`      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to cross-check ${project.name}/${f.rel}`);
            this.skip();
          }
          const v = verdictsOf(project).get(f.rel)!;
          const r = ssmdCheck(f);
          const diag = r.diagnostics.map((d) => `${ssmdErrorKey(project, d.file, d.line)} ${d.message}`);
          const known = olderCompilerDifferences(version!)[`${project.name}/${f.rel}`];
          if (known) {
            // refused by this older capnp only, for the documented reason: exactly those lines
            expect(v.accepted, known.reason).to.equal(false);
            expect([...new Set(v.errors)], v.stderr).to.deep.equal(known.lines.map((l) => `${f.rel}:${l}`));
            expect(diag).to.deep.equal([]);
            return;
          }
          expect(r.ok, `capnp ${v.accepted ? 'accepts' : 'rejects'}:\n${v.stderr}\nssmd:\n${diag.join('\n')}`).to.equal(v.accepted);
          const mine = new Set(r.diagnostics.map((d) => ssmdErrorKey(project, d.file, d.line)));
          const missed = v.errors.filter((e) => !mine.has(e));
          expect(missed, `lines capnp reports that ssmd does not:\n${v.stderr}\nssmd:\n${diag.join('\n')}`).to.deep.equal([]);
          if (!v.accepted) return;
          let nodes = decoded.get(v.request!);
          if (!nodes) {
            nodes = decodeNodes(v.request!);
            decoded.set(v.request!, nodes);
          }
          const expected = [...nodes.values()].filter((n) => n.displayName === f.display || n.displayName.startsWith(`${f.display}:`));
          expect(expected.length).to.be.greaterThan(0);
          const actual = ssmdNodes(r.model!);
          for (const e of expected) expect(actual.get(e.id), e.displayName).to.deep.equal(e);
          const ids = new Set(expected.map((n) => n.id));
          expect([...actual.values()].filter((n) => !ids.has(n.id)).map((n) => n.displayName)).to.deep.equal([]);
        });
      }
    });
  }
});
