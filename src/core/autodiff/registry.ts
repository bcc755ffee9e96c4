/**
 * Vector-Jacobian rules, one per op, in the style of tfjs-core's gradients: a rule receives the
 * node and the gradients of its outputs and returns one gradient per input (undefined where an
 * input gets none, such as integer indices).
 */
import type { Node, Value } from '../graph/graph.js';

/**
 * dys[i] is the gradient of node.outputs[i], or undefined when no gradient flows into it.
 * wants[j] says whether input j needs a gradient: a rule may skip building the others (they
 * would be pruned before serialization anyway, but skipping keeps large graphs small).
 */
export type GradRule = (
  node: Node,
  dys: readonly (Value | undefined)[],
  wants: readonly boolean[],
) => readonly (Value | undefined)[];

const rules = new Map<string, GradRule>();

export function registerGradient(op: string, rule: GradRule): void {
  rules.set(op, rule);
}

export function gradientRule(op: string): GradRule | undefined {
  return rules.get(op);
}

export function registeredGradientOps(): string[] {
  return [...rules.keys()].sort();
}
