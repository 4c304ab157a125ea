// Every dynn-lens command the README and docs/*.md show is exercised here, and a broken one fails: the CLI must
// accept it as written and, where it runs in seconds, do what the docs say. How each is exercised is decided
// below, one entry per command text; a command the docs gain without an entry fails the test until one is added.
//   run:     in a child Node with the compiled CLI (the same code as `npx dynn-lens`; the webpack bundle itself is
//            run by test/package), on the tiny model in a temporary workspace; a synopsis has every optional part
//            included and each metavariable replaced by a value.
//   parse:   the CLI's own option parsing with the command's work replaced by a stub (for commands on a file the
//            docs only name, or that take minutes as written); the command must be found and its options accepted.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command, CommandInput } from '../../../src/cli/command';
import { COMMANDS } from '../../../src/cli/commands';
import { runCli } from '../cli/runCli';
import { TINY_MNIST_YAML } from '../studies/helpers';
import { commandsIn, instantiate, projectDocs, toolArgs, type DocCommand } from './docCommands';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CLI = path.resolve(__dirname, '..', '..', '..', 'src', 'cli', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Workspace {
  dir: string;
  run(args: string[]): Run;
  read(file: string): string;
}

type Exercise = { how: 'run'; check(ws: Workspace, cmd: DocCommand): void } | { how: 'parse'; file?: string };

/** Values of the synopsis metavariables; a list is used in order (the check synopsis has two OUTs). */
const VALUES: Record<string, string | string[]> = {
  FILE: 'tiny.dynn.yaml',
  B: 'wasm',
  OUT: ['out/a.json', 'out/a.md'],
  ID: 'pgd',
  E: '0.1',
  N: '8',
  K: '2',
  S: '0',
  'METRIC=VALUE': 'clean-accuracy=0',
};

function concrete(cmd: DocCommand): string[] {
  const args = toolArgs(cmd.text);
  assert.ok(args, `${cmd.where}: not a dynn-lens command`);
  const used: Record<string, number> = {};
  const next: Record<string, string> = new Proxy({}, {
    get: (_t, key: string) => {
      const v = VALUES[key];
      if (!Array.isArray(v)) return v;
      used[key] = (used[key] ?? -1) + 1;
      return v[used[key]];
    },
  });
  return instantiate(args, next);
}

function runs(ws: Workspace, cmd: DocCommand): Run {
  const r = ws.run(concrete(cmd));
  assert.notStrictEqual(r.code, 2, `${cmd.where}: \`${cmd.text}\` is refused as a usage error:\n${r.stderr}`);
  return r;
}

const EXERCISES: Record<string, Exercise> = {
  'npx dynn-lens validate FILE... [--json]': {
    how: 'run',
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.ok(Array.isArray(JSON.parse(r.stdout)), r.stdout);
    },
  },
  'npx dynn-lens train FILE [--backend B] [--json OUT]': {
    how: 'run',
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      const summary = JSON.parse(ws.read('out/a.json')) as { exitNames: string[] };
      assert.deepStrictEqual(summary.exitNames, ['exit1', 'final']);
    },
  },
  'npx dynn-lens check FILE [--attack ID]... [--eps E]... [--samples N] [--seed S] [--backend B] [--json OUT] [--md OUT] [--fail-under METRIC=VALUE]...': {
    how: 'run',
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      const results = JSON.parse(ws.read('out/a.json')) as { attacks: { id: string }[]; provenance: { samples: number; backend: string } };
      assert.deepStrictEqual(results.attacks.map((a) => a.id), ['pgd@0.1']);
      assert.strictEqual(results.provenance.samples, 8);
      assert.strictEqual(results.provenance.backend, 'wasm');
      assert.match(ws.read('out/a.md'), /^# tiny-mnist: DyNN Lens report/);
    },
  },
  'npx dynn-lens study FILE --paper': {
    how: 'run', // as written: the tiny model's own checks, every study, the paper's findings (seconds)
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Paper findings:/m);
      assert.match(r.stdout, /transfer-asymmetry/);
    },
  },
  'npx dynn-lens study --paper --matrix FILE [--samples N] [--steps K]': {
    how: 'run', // a one-cell matrix of the tiny model (seconds): its verdict line and the combined reports
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^MNIST \/ SDN \(max-prob exits\): RQ1 .*, RQ4 .* \(8 samples/m);
      assert.match(ws.read('.dynn/matrix/paper-matrix.md'), /\*\*RQ1 transfer/);
    },
  },
  'npx dynn-lens study FILE --study adversarial-training [--study sweep] [--ensemble-preset quick]': {
    how: 'run', // the tiny model trained both ways (seconds): the comparison in the summary and in the results
    check(ws, cmd) {
      const r = runs(ws, cmd);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Adversarial training \(PGD-5 at eps 0\.05, step 0\.0125, average exit loss, 50% of each batch\)/m);
      const results = JSON.parse(ws.read('.dynn/results/tiny-mnist.json')) as { training?: { file: string; otherSweeps: unknown[] } };
      assert.strictEqual(results.training?.file, 'clean');
      assert.ok((results.training?.otherSweeps.length ?? 0) > 0, 'with --study sweep the other training is swept too');
    },
  },
  // The six example cells take 12 minutes from nothing: parsed only (npm run bench matrix runs it).
  'npx dynn-lens study --paper --matrix': { how: 'parse' },
  'npx dynn-lens install-gpu [--check]': {
    how: 'run', // with --check it only reports: 0 when this machine can use the GPU backend, 1 saying why not
    check(ws, cmd) {
      const r = runs(ws, cmd);
      if (r.code === 1) assert.match(r.stdout + r.stderr, /The GPU backend cannot be used on this machine:\n {2}- /);
      else assert.strictEqual(r.code, 0, r.stderr);
    },
  },
  '--fail-under robust-accuracy=0.5': {
    how: 'run', // the README's bar example, on a short check: met (0) or not met (1, naming the bar), never refused
    check(ws, cmd) {
      const r = runs(ws, { ...cmd, text: `dynn-lens check tiny.dynn.yaml --attack pgd --eps 0.1 --samples 8 ${cmd.text}` });
      if (r.code === 1) assert.match(r.stderr, /--fail-under robust-accuracy=0\.5 not met: pgd@0\.1 robust-accuracy/);
      else assert.strictEqual(r.code, 0, r.stderr);
    },
  },
  'npx dynn-lens <verb> --help': {
    how: 'run', // every verb
    check(ws) {
      for (const c of COMMANDS) {
        const r = ws.run([c.name, '--help']);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Usage: dynn-lens ${c.name} `));
      }
    },
  },
  // The tool or a verb named in prose.
  'dynn-lens': { how: 'parse' },
  'dynn-lens validate': { how: 'parse' },
  'dynn-lens train': { how: 'parse' },
  // docs/import.md's example file is the reader's own import, not in the repository.
  'dynn-lens check keras-sdn.dynn.yaml': { how: 'parse', file: 'keras-sdn.dynn.yaml' },
  'dynn-lens study keras-sdn.dynn.yaml --study sweep': { how: 'parse', file: 'keras-sdn.dynn.yaml' },
  // The docs name the study in prose; the README's synopsis above runs it.
  'dynn-lens study FILE --study adversarial-training': { how: 'parse', file: 'FILE' },
  'npx dynn-lens study FILE --study adversarial-training': { how: 'parse', file: 'FILE' },
  // docs/example-results.md's measurements of the examples (minutes to tens of minutes each): parsed, files named.
  'node bin/dynn-lens.js check examples/mnist-sdn-adv.dynn.yaml': { how: 'parse', file: 'examples/mnist-sdn-adv.dynn.yaml' },
  'dynn-lens study examples/mnist-sdn.dynn.yaml --study adversarial-training': { how: 'parse', file: 'examples/mnist-sdn.dynn.yaml' },
  'node bin/dynn-lens.js study examples/mnist-sdn.dynn.yaml --study adversarial-training --study sweep --ensemble-preset quick': { how: 'parse', file: 'examples/mnist-sdn.dynn.yaml' },
};

/** Runs the CLI's parsing with every command's work replaced by a stub; returns what the stub received. */
async function parseOnly(argv: string[]): Promise<{ code: number; stderr: string; input?: CommandInput; verb?: string }> {
  let input: CommandInput | undefined;
  let verb: string | undefined;
  const stubs: Command[] = COMMANDS.map((c) => ({ ...c, run: (i: CommandInput) => { input = i; verb = c.name; return Promise.resolve(0); } }));
  const r = await runCli(argv.length === 0 ? ['--help'] : argv, ROOT, stubs);
  return { code: r.code, stderr: r.stderr, ...(input ? { input } : {}), ...(verb ? { verb } : {}) };
}

describe('docs: every command the README and docs show', function () {
  this.timeout(180_000);
  const shown = projectDocs(ROOT).flatMap((d) => commandsIn(d.text, d.file)).filter((c) => toolArgs(c.text) !== undefined || c.text.startsWith('--fail-under'));
  let ws: Workspace;

  before(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-docs-'));
    fs.writeFileSync(path.join(dir, 'tiny.dynn.yaml'), TINY_MNIST_YAML);
    fs.mkdirSync(path.join(dir, 'out'));
    ws = {
      dir,
      run: (args) => {
        const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DYNN_WASM_THREADS: '1' } });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
    };
  });
  after(() => fs.rmSync(ws.dir, { recursive: true, force: true }));

  it('finds the commands (the synopsis, the bar example, the prose mentions)', () => {
    assert.ok(shown.length >= 10, shown.map((c) => c.text).join('\n'));
    assert.ok(shown.some((c) => c.where.startsWith('README.md') && c.text.startsWith('npx dynn-lens check FILE')));
  });

  it('has decided for each shown command how it is exercised, and for none that is no longer shown', () => {
    const undecided = shown.filter((c) => EXERCISES[c.text] === undefined).map((c) => `${c.where}: ${c.text}`);
    assert.deepStrictEqual(undecided, [], 'commands in the docs that no test runs: add them to EXERCISES');
    const stale = Object.keys(EXERCISES).filter((t) => !shown.some((c) => c.text === t));
    assert.deepStrictEqual(stale, [], 'EXERCISES entries the docs no longer show');
  });

  it('parses every command the docs only name (stub work): the verb exists and its options are accepted', async () => {
    for (const c of shown.filter((x) => EXERCISES[x.text]?.how === 'parse')) {
      const argv = toolArgs(c.text) ?? [];
      const r = await parseOnly(argv);
      assert.strictEqual(r.code, 0, `${c.where}: \`${c.text}\`: ${r.stderr}`);
      if (argv.length > 0) assert.strictEqual(r.verb, argv[0], `${c.where}: \`${c.text}\` did not reach its command`);
      const ex = EXERCISES[c.text];
      if (ex?.how === 'parse' && ex.file !== undefined) assert.deepStrictEqual(r.input?.positionals, [ex.file]);
    }
  });

  // In the order the README shows them: train before check, as a user would.
  for (const text of Object.keys(EXERCISES)) {
    const ex = EXERCISES[text];
    if (ex?.how !== 'run') continue;
    it(`runs \`${text}\``, () => {
      const cmd = shown.find((c) => c.text === text);
      assert.ok(cmd, `no longer in the docs: ${text}`);
      ex.check(ws, cmd);
    });
  }

  it("every npm script the docs name exists, and `npm run example`'s own dynn-lens command parses", async () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = projectDocs(ROOT).flatMap((d) => [...d.text.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => `${d.file}: ${m[1] as string}`));
    assert.ok(named.length > 5);
    assert.deepStrictEqual(named.filter((n) => scripts[n.split(': ')[1] as string] === undefined), []);
    // The main example takes minutes (training, 8 attack runs of 40 steps on 500 images): parsed, file checked.
    const example = (scripts.example ?? '').split('&&').map((p) => p.trim()).find((p) => toolArgs(p) !== undefined);
    assert.ok(example, scripts.example);
    const r = await parseOnly(toolArgs(example) ?? []);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.verb, 'check');
    for (const f of r.input?.positionals ?? []) assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} does not exist`);
  });

  it('names the VSIX file `npm run package` writes', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const install = projectDocs(ROOT).flatMap((d) => commandsIn(d.text, d.file)).filter((c) => c.text.startsWith('code --install-extension'));
    assert.ok(install.length > 0);
    for (const c of install) assert.strictEqual(c.text, `code --install-extension dynn-lens-${version}.vsix`, c.where);
  });
});
