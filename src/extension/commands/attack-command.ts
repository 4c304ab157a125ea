// Run Attack...: one attack of the file's checks, or a kind with defaults (added to the file's checks as an
// undoable edit), with eps and samples picked by the user or passed by a caller.
import * as vscode from 'vscode';
import { insertSequenceItem, setMappingEntry } from '../../advice/edits';
import { detectFormat } from '../../advice/format';
import type { AttackKind } from '../../modelfile/types';
import { fixToWorkspaceEdit } from '../adapters';
import type { Ctx } from '../ctx';
import { resolveModelTarget, UserError, type ModelTarget } from '../runs/model-target';
import { ResultsPanel } from '../results/results-panel';
import { whenTrusted } from '../trust';
import type { CommandFactory } from './command';
import { runAndStore } from './run-commands';

const ATTACK_KINDS: readonly { kind: AttackKind; detail: string }[] = [
  { kind: 'pgd', detail: 'projected gradient descent (Madry), final-exit loss' },
  { kind: 'fgsm', detail: 'one signed-gradient step' },
  { kind: 'hijack', detail: 'make an early exit fire confidently on a wrong class' },
  { kind: 'slowdown', detail: 'DeepSloth: keep every exit from firing so each sample pays full compute' },
  { kind: 'gate', detail: 'push gates open so every block runs' },
  { kind: 'apgd', detail: 'Auto-PGD (Croce & Hein): step size halves at checkpoints, momentum, 100 iterations' },
  { kind: 'ensemble', detail: 'worst case over APGD-CE, APGD-T (final and taken exit) and the file\'s PGDs' },
];

/** Reads an eps list like "0.05, 0.1"; undefined when it is not one. */
export function parseEpsList(text: string): number[] | undefined {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v) && v > 0 && v <= 255) ? values : undefined;
}

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
