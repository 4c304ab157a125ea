// How a train.adversarial recipe reads, wherever it is shown (suggestion titles, the panel, the reports).
import type { AdversarialRecipe } from './results';

/** "PGD-5 at eps 0.1, step 0.025, average exit loss, 50% of each batch" */
export function recipeText(r: AdversarialRecipe): string {
  const loss = r.loss === 'maxAverage' ? 'max-average exit loss' : r.loss === 'average' ? 'average exit loss' : 'final-exit loss';
  return `PGD-${r.steps} at eps ${r.eps}, step ${r.step}, ${loss}, ${Math.round(100 * r.fraction)}% of each batch`;
}
