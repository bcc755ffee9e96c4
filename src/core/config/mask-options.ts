/**
 * Option schemas that mask strategies share, so every strategy that offers one documents and
 * validates it the same way. A strategy adds them to its own fragment; core reads the values
 * through the MaskStrategy contract (refreshAt) or never (selection is the strategy's business).
 */

/** `refreshAt`: when refreshes fall for a refresh interval I (see training/refresh.ts). */
export const REFRESH_AT_OPTION = Object.freeze({
  enum: ['multiple', 'reference'],
  default: 'multiple',
  description:
    "When masks refresh: 'multiple' after steps I, 2I, ...; 'reference' after steps I-1, 2I-1, ... as the authors' code does ((step+1) % I == 0). A refresh due after the last step is skipped: nothing would train on the new mask.",
});

/** `selection`: which end of the score order a magnitude-ranked mask takes. */
export const SELECTION_OPTION = Object.freeze({
  enum: ['largest', 'smallest'],
  default: 'largest',
  description:
    "Which entries train: the k of 'largest' magnitude (the paper) or the k 'smallest' (the authors' published scripts, whose mask type lift_sparse runs torch.topk(..., largest=False)). Ties go to the lower flat index.",
});
