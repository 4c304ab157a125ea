import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { advise } from '../../../src/advice';
import type { Command } from '../../../src/cli/command';
import { analyzeText } from '../../../src/modelfile';
import { LineIndex } from '../../../src/modelfile/lines';
import { model } from '../advice/helpers';
import { runCli, type CliRun } from './runCli';

const root = path.resolve(__dirname, '../../../..');
const risky = 'examples/risky.dynn.yaml';

function run(argv: string[], cwd = root, commands?: readonly Command[]): Promise<CliRun> {
  return runCli(argv, cwd, commands);
}

describe('cli', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-cli-'));
    fs.writeFileSync(
      path.join(tmp, 'bad.dynn.yaml'),
      'dynn: 1\ninput:\n  shape: [28, 28, 1]\n  range: [0, 1]\nclasses: 10\nbackbone:\n  - {type: conv2d, filters: 4, kernl: 3}\n',
    );
    fs.writeFileSync(path.join(tmp, 'broken.dynn.json'), '{"dynn": 1,}');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('framework', () => {
    it('--help lists the commands and exits 0', async () => {
      const r = await run(['--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: dynn-lens <command> \[options\]/);
      assert.match(r.stdout, /\n {2}validate +Check model files/);
    });

    it('no command prints usage to stderr and exits 2', async () => {
      const r = await run([]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /Usage: dynn-lens/);
    });

    it('an unknown command or tool option exits 2 with the list of commands', async () => {
      const r = await run(['trian']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command 'trian'\. Commands: validate/);
      const o = await run(['--frobnicate']);
      assert.equal(o.code, 2);
      assert.match(o.stderr, /unknown option '--frobnicate'/);
    });

    it('<command> --help shows its usage and options', async () => {
      const r = await run(['validate', '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: dynn-lens validate FILE \[FILE\.\.\.\]/);
      assert.match(r.stdout, /--json +Print the diagnostics as a JSON array/);
      assert.match(r.stdout, /-h, --help +Show this help/);
    });

    it('an unknown flag exits 2 and points to --help', async () => {
      const r = await run(['validate', '--jsno', risky]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Unknown option '--jsno'/);
      assert.match(r.stderr, /Run `dynn-lens validate --help`/);
    });

    it('--version prints the package version', async () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      const r = await run(['--version']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${pkg.version}\n`);
    });

    it('runs a command from the table with parsed options; a crash is reported, not thrown', async () => {
      const echo: Command = {
        name: 'echo', summary: 's', usage: 'echo', description: 'd',
        options: { loud: { type: 'boolean', description: 'x' } },
        run: ({ values, positionals, io }) => {
          io.stdout.write(`${values.loud === true ? 'LOUD ' : ''}${positionals.join(' ')}\n`);
          return Promise.resolve(positionals.length === 0 ? Promise.reject(new Error('nothing to echo')) : 0);
        },
      };
      assert.deepEqual(await run(['echo', '--loud', 'a', 'b'], root, [echo]), { code: 0, stdout: 'LOUD a b\n', stderr: '' });
      const crash = await run(['echo'], root, [echo]);
      assert.equal(crash.code, 1);
      assert.match(crash.stderr, /dynn-lens echo: internal error: nothing to echo/);
    });
  });

  describe('validate', () => {
    it('--json prints 0-based ranges that match the analyser and advice spans', async () => {
      const r = await run(['validate', '--json', risky]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { severity: string; code: string; message: string; range: { start: { line: number; character: number }; end: { line: number; character: number } }; file?: string }[];
      const text = fs.readFileSync(path.join(root, risky), 'utf8');
      const analysis = analyzeText(text, { fileName: risky });
      const lines = new LineIndex(text);
      const expected = [...analysis.diagnostics, ...advise(analysis, text, { fileName: risky })]
        .sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end)
        .map((d) => ({ severity: d.severity, code: d.code, message: d.message, range: { start: lines.positionAt(d.span.start), end: lines.positionAt(d.span.end) } }));
      assert.ok(expected.length >= 7);
      assert.deepEqual(out, expected);
      // Spot-check one range by hand: the policy threshold `0.6` (line "  threshold: 0.6", 0-based).
      const policyLine = text.split('\n').findIndex((l) => l === '  threshold: 0.6');
      const permissive = out.find((d) => d.code === 'exit-threshold-permissive');
      assert.deepEqual(permissive?.range, { start: { line: policyLine, character: 13 }, end: { line: policyLine, character: 16 } });
    });

    it('prints file:line:col: severity: message [code] with 1-based positions', async () => {
      const r = await run(['validate', risky]);
      assert.equal(r.code, 0);
      const lines = r.stdout.trimEnd().split('\n');
      assert.ok(lines.length >= 7);
      for (const l of lines) assert.match(l, /^examples\/risky\.dynn\.yaml:\d+:\d+: (error|warning|info|hint): .+ \[[a-z/-]+\]$/);
      const text = fs.readFileSync(path.join(root, risky), 'utf8');
      const policyLine = text.split('\n').findIndex((l) => l === '  threshold: 0.6') + 1;
      assert.ok(lines.some((l) => l.startsWith(`examples/risky.dynn.yaml:${policyLine}:14: warning: `) && l.endsWith('[exit-threshold-permissive]')));
      assert.match(r.stderr, /1 file: 0 errors, \d+ warnings/);
    });

    it('exits 1 on a schema error and names the place', async () => {
      const r = await run(['validate', 'bad.dynn.yaml'], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^bad\.dynn\.yaml:7:\d+: error: .*kernl/m);
    });

    it('exits 1 on a JSON syntax error', async () => {
      const r = await run(['validate', '--json', 'broken.dynn.json'], tmp);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout) as { severity: string }[];
      assert.ok(out.some((d) => d.severity === 'error'));
    });

    it('adds `file` to each JSON entry when given several files', async () => {
      const r = await run(['validate', '--json', path.join(root, risky), 'bad.dynn.yaml'], tmp);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout) as { file?: string; code: string }[];
      assert.ok(out.some((d) => d.file === path.join(root, risky) && d.code === 'gate-placement'));
      assert.ok(out.some((d) => d.file === 'bad.dynn.yaml'));
      assert.ok(out.every((d) => typeof d.file === 'string'));
    });

    it('a missing file or a directory is a clear error; other files are still checked', async () => {
      const r = await run(['validate', 'nope.dynn.yaml', '.', path.join(root, risky)], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^nope\.dynn\.yaml:1:1: error: nope\.dynn\.yaml: file not found \[cli\/unreadable-file\]$/m);
      assert.match(r.stdout, /^\.:1:1: error: \.: is a directory, not a model file \[cli\/unreadable-file\]$/m);
      assert.match(r.stdout, /\[gate-placement\]/);
      const j = await run(['validate', '--json', 'nope.dynn.yaml'], tmp);
      assert.deepEqual(JSON.parse(j.stdout), [
        { severity: 'error', code: 'cli/unreadable-file', message: 'nope.dynn.yaml: file not found', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      ]);
    });

    it('--fail-on warning turns warnings into exit 1; a bad level or no file exits 2', async () => {
      assert.equal((await run(['validate', '--fail-on', 'warning', risky])).code, 1);
      assert.equal((await run(['validate', '--fail-on', 'error', risky])).code, 0);
      const bad = await run(['validate', '--fail-on', 'info', risky]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--fail-on must be 'error' or 'warning'/);
      const none = await run(['validate']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no model file given/);
    });

    it('a clean model prints nothing on stdout and exits 0', async () => {
      const clean = path.join(tmp, 'clean.dynn.yaml');
      fs.writeFileSync(clean, model());
      const r = await run(['validate', clean]);
      assert.equal(r.stdout, '');
      assert.equal(r.code, 0);
      assert.match(r.stderr, /1 file: 0 errors, 0 warnings, 0 info/);
    });
  });

  describe('entry point', () => {
    it('importing main.ts runs nothing', async () => {
      const before = process.exitCode;
      const mod = (await import('../../../src/cli/main')) as { main: unknown };
      assert.equal(typeof mod.main, 'function');
      assert.equal(process.exitCode, before);
    });

    it('run as a process, it prints the report and sets the exit code', () => {
      const entry = path.join(root, 'out/src/cli/main.js');
      const ok = spawnSync(process.execPath, [entry, 'validate', '--json', risky], { cwd: root, encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.ok((JSON.parse(ok.stdout) as unknown[]).length >= 8);
      const usage = spawnSync(process.execPath, [entry, 'validate', '--nope'], { cwd: root, encoding: 'utf8' });
      assert.equal(usage.status, 2);
      const missing = spawnSync(process.execPath, [entry, 'validate', 'missing.dynn.yaml'], { cwd: root, encoding: 'utf8' });
      assert.equal(missing.status, 1);
      assert.match(missing.stdout, /missing\.dynn\.yaml: file not found/);
    });
  });
});
