// Every command the extension contributes (package.json "commands"), by id. Each module next to this one holds a
// group of related commands; command.ts is their shape.
import { runAttack } from './attack-command';
import { selectBackend, showBackend } from './backend-commands';
import type { CommandFactory } from './command';
import { openExample } from './example-command';
import { createOnnxModelFile } from './onnx-command';
import { installGpu } from './gpu-command';
import { newModel, showOutput } from './model-commands';
import { applySuggestionCommand, exportReport, showPaperMatrix, showResults } from './results-commands';
import { cancelRun, compareAdversarialTraining, compareStatic, reproduceStudy, runCheck, sweepThresholds, trainModel } from './run-commands';

export type { CommandFactory } from './command';

export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'dynn.showOutput': showOutput,
  'dynn.newModel': newModel,
  'dynn.showBackend': showBackend,
  'dynn.runCheck': runCheck,
  'dynn.runAttack': runAttack,
  'dynn.sweepThresholds': sweepThresholds,
  'dynn.compareStatic': compareStatic,
  'dynn.compareAdversarialTraining': compareAdversarialTraining,
  'dynn.reproduceStudy': reproduceStudy,
  'dynn.trainModel': trainModel,
  'dynn.showResults': showResults,
  'dynn.exportReport': exportReport,
  'dynn.selectBackend': selectBackend,
  'dynn.installGpuBackend': installGpu,
  'dynn.cancelRun': cancelRun,
  'dynn.applySuggestion': applySuggestionCommand,
  'dynn.openExample': openExample,
  'dynn.createOnnxModelFile': createOnnxModelFile,
  'dynn.showPaperMatrix': showPaperMatrix,
};
