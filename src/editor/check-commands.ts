// The design loop's commands: run checks, attacks, sweeps, transfer and the paper's study in the worker, train,
// show and export results, pick or install the compute backend, cancel. Everything that loads weights or runs
// checks goes through `whenTrusted` and starts the worker lazily (through the CheckRunner).
import * as vscode from 'vscode';
import { insertSequenceItem, setMappingEntry } from '../advice/edits';
import { detectFormat } from '../advice/format';
import type { AttackKind } from '../spec/types';
import type { Results, Suggestion } from '../studies/results';
import type { InfoResult } from '../worker/builtinJobs';
import { fixToWorkspaceEdit } from './adapters';
import type { CommandFactory } from './commands';
import { BACKENDS, type BackendSetting } from './config';
import type { Ctx } from './ctx';
import { checkAnswer, checkParams, partialAttack, persistedPath, trainParams, type CheckRequest } from './job-params';
import { resolveModelTarget, UserError, type ModelTarget } from './model-target';
import { ResultsPanel } from './panel/resultsPanel';
import { applySuggestion } from './result-diagnostics';
import { whenTrusted } from './trust';

const ATTACK_KINDS: readonly { kind: AttackKind; detail: string }[] = [
  { kind: 'pgd', detail: 'projected gradient descent (Madry), final-exit loss' },
  { kind: 'fgsm', detail: 'one signed-gradient step' },
  { kind: 'hijack', detail: 'make an early exit fire confidently on a wrong class' },
  { kind: 'slowdown', detail: 'DeepSloth: keep every exit from firing so each sample pays full compute' },
  { kind: 'gate', detail: 'push gates open so every block runs' },
];

/** Runs a check-like job on the target and stores its results; returns them (undefined when it failed). */
async function runAndStore(ctx: Ctx, target: ModelTarget, job: 'check' | 'study', request: CheckRequest, title: string): Promise<Results | undefined> {
  const params = checkParams(target, request, ctx.config.settings.backend);
  const outcome = await ctx.runner.run<unknown>({
    uri: target.uri,
    job,
    params,
    title,
    describePartial: (data) => {
      const a = partialAttack(data);
      return a ? `${a.id}: robust accuracy ${(100 * a.robustAccuracy).toFixed(0)}%, hijack ${(100 * a.hijackRate).toFixed(0)}%, FLOPs ${(100 * a.meanFlopsRatio).toFixed(0)}% (${a.seconds.toFixed(1)} s)` : undefined;
    },
  });
  if (!outcome.ok) return undefined;
  const results = checkAnswer(outcome.result);
  // The worker saved them (atomically) under .dynn/results/; the store only needs to know.
  const written = ctx.results.record(target.uri, results, persistedPath(target, results));
  ctx.log.info(
    `Results of ${results.model.name}: clean ${(100 * results.clean.accuracy).toFixed(1)}%, ${results.attacks.length} attack runs, ${results.suggestions.length} suggestions, ` +
      `backend ${results.provenance.backend}, ${results.provenance.samples} samples, ${results.provenance.seconds.toFixed(1)} s${written ? `; saved to ${written}` : ''}`,
  );
  return results;
}

function checkCommand(action: string, job: 'check' | 'study', request: (target: ModelTarget) => Promise<CheckRequest | undefined> | CheckRequest | undefined, title: (t: ModelTarget) => string): CommandFactory {
  return (ctx) =>
    whenTrusted(action, async (arg?: unknown) => {
      const target = await resolveModelTarget(arg, ctx.analyses);
      if (!target) return undefined;
      const req = await request(target);
      if (!req) return undefined;
      const results = await runAndStore(ctx, target, job, req, title(target));
      if (results && req.showPanel !== false) ResultsPanel.show(target.uri);
      return results;
    });
}

export const runCheck = checkCommand('Running the checks', 'check', () => ({}), (t) => `DyNN: checking ${t.spec.name}`);

export const sweepThresholds = checkCommand('Sweeping exit thresholds', 'check', () => ({ studies: ['sweep'] }), (t) => `DyNN: sweeping the exit thresholds of ${t.spec.name}`);

export const compareStatic = checkCommand(
  'Comparing with the static twin',
  'check',
  () => ({ studies: ['transfer', 'efficiency'] }),
  (t) => `DyNN: comparing ${t.spec.name} with its static twin`,
);

export const reproduceStudy = checkCommand(
  "Reproducing the paper's study",
  'study',
  () => ({ studies: ['transfer', 'efficiency', 'sweep'], findings: true }),
  (t) => `DyNN: reproducing the paper's study on ${t.spec.name}`,
);

/** Reads an eps list like "0.05, 0.1"; undefined when it is not one. */
export function parseEpsList(text: string): number[] | undefined {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v) && v > 0 && v <= 255) ? values : undefined;
}

/** Run Attack...: one attack of the file (or a kind with defaults), eps and samples picked by the user or passed. */
/** Options of Run Attack passed by a caller (keybinding, test) instead of picked. */
interface AttackArgs {
  attack?: unknown;
  eps?: unknown;
  samples?: unknown;
}

/** Adds `{id, kind, norm: linf, eps}` to the file's checks.attacks as an undoable edit; returns the new id. */
async function addAttackToFile(ctx: Ctx, target: ModelTarget, kind: AttackKind, eps: number[]): Promise<string> {
  const taken = new Set(target.spec.checks.attacks.map((a) => a.id));
  let id: string = kind;
  for (let i = 2; taken.has(id); i++) id = `${kind}-${i}`;
  const text = target.doc.getText();
  const t = { text, format: detectFormat(text, target.doc.fileName), locate: (p: readonly (string | number)[]) => target.analysis.locate(p) };
  const entry = { id, kind, norm: 'linf', eps };
  const edit = t.locate(['checks', 'attacks', 0])
    ? insertSequenceItem(t, ['checks', 'attacks'], 0, entry)
    : t.locate(['checks'])
      ? setMappingEntry(t, ['checks'], 'attacks', [entry])
      : undefined;
  if (!edit) throw new UserError(`add a \`checks:\` section with an attack of kind ${kind} to ${vscode.workspace.asRelativePath(target.uri)} first`);
  const ws = fixToWorkspaceEdit(target.doc, target.uri, { title: `add a ${kind} attack`, edits: [edit] });
  if (!(await vscode.workspace.applyEdit(ws))) throw new Error(`VS Code refused to add the ${kind} attack to the file`);
  ctx.log.info(`Added attack "${id}" (${kind}) to ${vscode.workspace.asRelativePath(target.uri)}`);
  return id;
}

function positiveInteger(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 100000 ? n : undefined;
}

/**
 * Run Attack...: one attack of the file's checks, or a kind (the file's attacks of that kind; a kind the file has
 * none of is added to its checks with the field's defaults), then eps and samples. A caller may pass
 * `{attack, eps, samples}` as the second argument instead.
 */
export const runAttack: CommandFactory = (ctx) =>
  whenTrusted('Running an attack', async (arg?: unknown, options?: unknown) => {
    let target = await resolveModelTarget(arg, ctx.analyses);
    if (!target) return undefined;
    const given = (typeof options === 'object' && options !== null ? options : {}) as AttackArgs;
    const attacks = target.spec.checks.attacks;
    const usable = ATTACK_KINDS.filter((k) => (k.kind === 'gate' ? target?.spec.gates.length : k.kind === 'hijack' || k.kind === 'slowdown' ? target?.spec.exits.length : true));
    type Item = vscode.QuickPickItem & { attackId?: string; attackKind?: AttackKind };
    let picked: Item | undefined;
    if (typeof given.attack === 'string') {
      const own = attacks.find((a) => a.id === given.attack);
      const kind = usable.find((k) => k.kind === given.attack);
      if (!own && !kind) throw new UserError(`no attack "${given.attack}" in the file's checks and no attack kind of that name (${usable.map((k) => k.kind).join(', ')})`);
      picked = own ? { label: own.id, attackId: own.id } : { label: given.attack, attackKind: kind?.kind };
    } else {
      const items: Item[] = [
        ...attacks.map((a) => ({ label: a.id, description: `${a.kind} ${a.norm}, eps ${a.eps.join(', ')}`, detail: "from the file's checks", attackId: a.id })),
        { label: 'by kind', kind: vscode.QuickPickItemKind.Separator },
        ...usable.map((k) => {
          const n = attacks.filter((a) => a.kind === k.kind).length;
          return { label: k.kind, description: n > 0 ? `the file's ${n} ${k.kind} attack(s)` : "not in the file: adds one to its checks", detail: k.detail, attackKind: k.kind };
        }),
      ];
      picked = await vscode.window.showQuickPick(items, { title: 'DyNN: Run Attack (1/3): which attack?' });
      if (!picked) return undefined;
    }
    const own = picked.attackId !== undefined ? attacks.find((a) => a.id === picked?.attackId) : undefined;
    const sameKind = picked.attackKind !== undefined ? attacks.filter((a) => a.kind === picked?.attackKind) : [];
    const range = target.spec.input.range ?? [0, 1];
    const defaultEps = own ? own.eps.join(', ') : sameKind[0] ? sameKind[0].eps.join(', ') : String(Number((0.1 * (range[1] - range[0])).toPrecision(3)));
    let eps = Array.isArray(given.eps) ? parseEpsList(given.eps.join(',')) : typeof given.eps === 'number' || typeof given.eps === 'string' ? parseEpsList(String(given.eps)) : undefined;
    if (given.eps !== undefined && !eps) throw new UserError(`eps must be one or more positive numbers, got ${JSON.stringify(given.eps)}`);
    if (!eps) {
      const epsText = await vscode.window.showInputBox({
        title: 'DyNN: Run Attack (2/3): radius eps (comma-separated for several)',
        value: defaultEps,
        validateInput: (v) => (parseEpsList(v) ? undefined : 'one or more positive numbers, e.g. 0.1, 0.3'),
      });
      if (epsText === undefined) return undefined;
      eps = parseEpsList(epsText) ?? [];
    }
    let samples = given.samples !== undefined ? positiveInteger(given.samples) : undefined;
    if (given.samples !== undefined && samples === undefined) throw new UserError(`samples must be a whole number from 1 to 100000, got ${JSON.stringify(given.samples)}`);
    if (samples === undefined) {
      const samplesText = await vscode.window.showInputBox({
        title: 'DyNN: Run Attack (3/3): test samples',
        value: String(Math.min(target.spec.checks.samples, 200)),
        validateInput: (v) => (positiveInteger(v) !== undefined ? undefined : 'a whole number from 1 to 100000'),
      });
      if (samplesText === undefined) return undefined;
      samples = positiveInteger(samplesText) ?? 1;
    }
    let ids: string[];
    if (own) ids = [own.id];
    else if (sameKind.length > 0) ids = sameKind.map((a) => a.id);
    else if (picked.attackKind !== undefined) {
      ids = [await addAttackToFile(ctx, target, picked.attackKind, eps)];
      target = await resolveModelTarget(target.uri, ctx.analyses);
      if (!target) return undefined;
    } else return undefined;
    const results = await runAndStore(ctx, target, 'check', { attacks: ids, eps, samples }, `DyNN: ${ids.join(', ')} on ${target.spec.name}`);
    if (results) ResultsPanel.show(target.uri);
    return results;
  });

export const trainModel: CommandFactory = (ctx) =>
  whenTrusted('Training the model', async (arg?: unknown) => {
    const target = await resolveModelTarget(arg, ctx.analyses);
    if (!target) return undefined;
    const outcome = await ctx.runner.run<unknown>({
      uri: target.uri,
      job: 'train',
      params: trainParams(target, ctx.config.settings.backend),
      title: `DyNN: training ${target.spec.name}`,
    });
    if (!outcome.ok) return undefined;
    ctx.log.info(`Trained ${target.spec.name}: ${JSON.stringify(outcome.result)}`);
    void vscode.window.showInformationMessage(`DyNN Lens: ${target.spec.name} is trained (${outcome.seconds.toFixed(0)} s); its weights are cached under .dynn/.`);
    return outcome.result;
  });

export const showResults: CommandFactory = (ctx) => async (arg?: unknown) => {
  const target = await resolveModelTarget(arg, ctx.analyses);
  if (!target) return undefined;
  if (!ctx.results.resultsFor(target.uri)) await ctx.results.loadPersisted(target.uri, target.spec.name);
  ResultsPanel.show(target.uri);
  return target.uri;
};

/** Export Report: HTML (self-contained), Markdown or the JSON results, where the user chooses. */
export const exportReport: CommandFactory = (ctx) => async (arg?: unknown, formatArg?: unknown) => {
  const target = await resolveModelTarget(arg, ctx.analyses);
  if (!target) return undefined;
  const results = ctx.results.resultsFor(target.uri) ?? (await ctx.results.loadPersisted(target.uri, target.spec.name));
  if (!results) throw new UserError(`no results for ${vscode.workspace.asRelativePath(target.uri)} yet; run DyNN: Run Robustness Check first`);
  let format = typeof formatArg === 'string' ? formatArg : undefined;
  if (format === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'HTML', detail: 'self-contained page with the charts and gallery', format: 'html' },
        { label: 'Markdown', detail: 'tables, for a pull request or a wiki', format: 'markdown' },
        { label: 'JSON', detail: 'the Results document (docs/results.schema.json)', format: 'json' },
      ],
      { title: 'DyNN: Export Report' },
    );
    if (!pick) return undefined;
    format = pick.format;
  }
  if (format === 'html' || format === 'markdown') {
    await ResultsPanel.exportReport(target.uri, format);
    return format;
  }
  if (format !== 'json') throw new UserError(`unknown report format "${format}": html, markdown or json`);
  const out = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(target.uri, '..', `${results.model.name}.results.json`),
    filters: { 'Results JSON': ['json'] },
    saveLabel: 'Export results',
  });
  if (!out) return undefined;
  await vscode.workspace.fs.writeFile(out, new TextEncoder().encode(`${JSON.stringify(results, null, 1)}\n`));
  ctx.log.info(`Results JSON written to ${out.toString()}`);
  void vscode.window.showInformationMessage(`DyNN Lens: results written to ${vscode.workspace.asRelativePath(out)}.`);
  return format;
};

const BACKEND_DETAILS: Record<BackendSetting, string> = {
  auto: 'best available: CUDA, then native CPU, then WebAssembly, then JavaScript',
  'tensorflow-gpu': 'CUDA through @tensorflow/tfjs-node-gpu (DyNN: Install GPU Backend)',
  tensorflow: 'native TensorFlow on the CPU (@tensorflow/tfjs-node)',
  wasm: 'WebAssembly with SIMD (bundled)',
  cpu: 'pure JavaScript (slowest, always available)',
};

/** Select Backend: writes `dynn.backend` (workspace settings when a folder is open, else user settings). */
export const selectBackend: CommandFactory = (ctx) => async (value?: unknown) => {
  let chosen = typeof value === 'string' ? value : undefined;
  if (chosen !== undefined && !(BACKENDS as readonly string[]).includes(chosen)) throw new UserError(`unknown backend "${chosen}": one of ${BACKENDS.join(', ')}`);
  if (chosen === undefined) {
    const current = ctx.config.settings.backend;
    const pick = await vscode.window.showQuickPick(
      BACKENDS.map((b) => ({ label: b, description: b === current ? '(current)' : '', detail: BACKEND_DETAILS[b] })),
      { title: 'DyNN: Select Backend for checks and training' },
    );
    if (!pick) return undefined;
    chosen = pick.label;
  }
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('dynn').update('backend', chosen, target);
  // The running worker keeps its backend; the next run asks for the new one.
  ctx.log.info(`dynn.backend set to ${chosen} (${target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings)`);
  return chosen;
};

export const cancelRun: CommandFactory = (ctx) => () => {
  if (!ctx.runner.cancel()) void vscode.window.showInformationMessage('DyNN Lens: no check is running.');
};

/** Applies a measured suggestion ({path, value}) to a model file: the panel's "Apply" and tests use it. */
export const applySuggestionCommand: CommandFactory = (ctx) => async (uri?: unknown, suggestion?: unknown) => {
  if (!(uri instanceof vscode.Uri)) throw new UserError('applySuggestion needs the model file URI');
  const s = suggestion as Partial<Suggestion> | undefined;
  if (!s || typeof s.title !== 'string' || !s.change || !Array.isArray(s.change.path)) throw new UserError('applySuggestion needs a suggestion with a title and a change {path, value}');
  await applySuggestion(uri, s as Suggestion, ctx.analyses, ctx.log);
  return true;
};

/** Asks the worker which backend it starts under the current setting; updates the status item. */
export const showBackendInfo = async (ctx: Ctx, token?: vscode.CancellationToken): Promise<InfoResult> => {
  const worker = await ctx.worker.get();
  const info = await worker.run<InfoResult>('info', { backend: ctx.config.settings.backend }, token ? { token } : {});
  if (info.backend) ctx.status.setBackend({ name: info.backend.name, reason: info.backend.reason, from: 'worker info' });
  return info;
};
