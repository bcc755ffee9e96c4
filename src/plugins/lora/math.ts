// LoRA's host math lives in core (the trainer's lora parametrization needs it); the plugin re-exports it.
export { initLora, mergeLora, budgetMatchedRank, type LoraFactors } from '../../core/model/lora.js';
