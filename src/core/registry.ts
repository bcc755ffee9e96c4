/**
 * The registry: parametrizations, strategies, optimizers, methods and backends by name. Host
 * applications register their own. A method's options schema is composed here from its building
 * blocks' fragments, and a method's options are resolved (validated once, defaults filled) here.
 * Backends carry a priority and are resolved like onnxruntime-common's resolveBackend:
 * candidates are tried in order and every failure is reported at once.
 */
import { type MethodSchema, composeMethodSchema, validateMethodOptions } from './config/method-options.js';
import type {
  Backend,
  MaskStrategy,
  Method,
  MethodOptions,
  Optimizer,
  OptimizerFactory,
  OptionsFragment,
  Parametrization,
  StrategyFactory,
} from './contracts.js';
import { BackendError, InvalidArgumentError, LiftError, RegistryError } from './errors.js';

interface Block<F> {
  factory: F;
  options?: OptionsFragment;
}

/** A method with its building blocks resolved and its options validated and complete. */
export interface ResolvedMethod {
  method: Method;
  parametrization: Parametrization;
  options: MethodOptions;
  /** The method's strategy built from the options, when it has one. */
  strategy?: MaskStrategy;
  optimizer: Optimizer;
}

interface BackendEntry {
  backend: Backend;
  priority: number;
  ready?: Promise<void>;
}

export class Registry {
  private readonly parametrizations = new Map<string, Parametrization>();
  private readonly strategies = new Map<string, Block<StrategyFactory>>();
  private readonly optimizers = new Map<string, Block<OptimizerFactory>>();
  private readonly methods = new Map<string, Method>();
  private readonly backends = new Map<string, BackendEntry>();

  registerParametrization(parametrization: Parametrization): this {
    this.parametrizations.set(checkName(parametrization.name), parametrization);
    return this;
  }

  /** A mask strategy; `options` documents the options its factory reads. */
  registerStrategy(name: string, factory: StrategyFactory, options?: OptionsFragment): this {
    this.strategies.set(checkName(name), { factory, ...(options ? { options } : {}) });
    return this;
  }

  /** An optimizer; `options` documents the options its factory reads. */
  registerOptimizer(name: string, factory: OptimizerFactory, options?: OptionsFragment): this {
    this.optimizers.set(checkName(name), { factory, ...(options ? { options } : {}) });
    return this;
  }

  registerMethod(method: Method): this {
    this.methods.set(checkName(method.name), method);
    return this;
  }

  parametrization(name: string): Parametrization {
    const p = this.parametrizations.get(name);
    if (!p) throw new RegistryError('parametrization', name, this.parametrizationNames());
    return p;
  }

  /** The method's options schema: core's common options and its building blocks', with the method's defaults. */
  methodSchema(name: string): MethodSchema {
    const method = this.method(name);
    const p = this.parametrization(method.parametrization);
    if (p.needsStrategy && !method.strategy) {
      throw new InvalidArgumentError(`method '${method.name}': parametrization '${p.name}' needs a mask strategy; name one in the method`);
    }
    const fragments: [string, OptionsFragment | undefined][] = [[`parametrization '${p.name}'`, p.options]];
    if (method.strategy) fragments.push([`strategy '${method.strategy}'`, this.block(this.strategies, 'strategy', method.strategy).options]);
    fragments.push([`optimizer '${method.optimizer}'`, this.block(this.optimizers, 'optimizer', method.optimizer).options]);
    return composeMethodSchema(method, fragments);
  }

  /**
   * The method `name` with `raw` options validated against its schema (every violation at once,
   * with JSON paths under `pathPrefix`), defaults and derived defaults filled in, and its strategy
   * and optimizer built from them.
   */
  resolve(name: string, raw: MethodOptions = {}, pathPrefix?: string): ResolvedMethod {
    const method = this.method(name);
    const schema = this.methodSchema(name);
    const parametrization = this.parametrization(method.parametrization);
    const validated = validateMethodOptions(method, schema, raw, pathPrefix);
    const options = parametrization.complete ? parametrization.complete(validated) : validated;
    return {
      method,
      parametrization,
      options,
      ...(method.strategy ? { strategy: this.strategy(method.strategy, options) } : {}),
      optimizer: this.optimizer(method.optimizer, options),
    };
  }

  /** Registers a backend; a higher priority is preferred when no hint names one. */
  registerBackend(name: string, backend: Backend, priority = 0): this {
    const existing = this.backends.get(checkName(name));
    if (existing && existing.backend !== backend) {
      throw new InvalidArgumentError(`a different backend is already registered as '${name}'`);
    }
    this.backends.set(name, { backend, priority });
    return this;
  }

  /** Builds a strategy from complete options (as `resolve` makes them); it receives the keys it declared, or all without a fragment. */
  strategy(name: string, options: MethodOptions): MaskStrategy {
    const b = this.block(this.strategies, 'strategy', name);
    return b.factory(own(options, b.options));
  }

  /** Builds an optimizer from complete options (as `resolve` makes them); it receives the keys it declared, or all without a fragment. */
  optimizer(name: string, options: MethodOptions): Optimizer {
    const b = this.block(this.optimizers, 'optimizer', name);
    return b.factory(own(options, b.options));
  }

  private block<F>(map: Map<string, Block<F>>, kind: 'strategy' | 'optimizer', name: string): Block<F> {
    const b = map.get(name);
    if (!b) throw new RegistryError(kind, name, [...map.keys()].sort());
    return b;
  }

  method(name: string): Method {
    const m = this.methods.get(name);
    if (!m) throw new RegistryError('method', name, this.methodNames());
    return m;
  }

  hasMethod(name: string): boolean {
    return this.methods.has(name);
  }

  parametrizationNames(): string[] {
    return [...this.parametrizations.keys()].sort();
  }
  strategyNames(): string[] {
    return [...this.strategies.keys()].sort();
  }
  optimizerNames(): string[] {
    return [...this.optimizers.keys()].sort();
  }
  methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }
  backendNames(): string[] {
    return [...this.backends.keys()].sort();
  }

  /**
   * Returns the first backend among `hints` (or, with no hints, all by descending priority) whose
   * init succeeds. Throws one error listing every candidate's failure; its code is the one missing
   * piece every candidate failed on (E_CUDA_MISSING, E_BACKEND_MISSING, E_WASM_MISSING: so asking
   * for one backend reports what it lacks), E_BACKEND otherwise.
   */
  async resolveBackend(hints: readonly string[] = []): Promise<{ name: string; backend: Backend }> {
    const candidates = hints.length
      ? [...hints]
      : [...this.backends.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([n]) => n);
    const failures: string[] = [];
    const codes = new Set<string>();
    for (const name of candidates) {
      const entry = this.backends.get(name);
      if (!entry) {
        failures.push(`${name}: not registered (registered: ${this.backendNames().join(', ') || 'none'})`);
        codes.add('E_REGISTRY');
        continue;
      }
      try {
        entry.ready ??= entry.backend.init ? entry.backend.init() : Promise.resolve();
        await entry.ready;
        return { name, backend: entry.backend };
      } catch (e) {
        entry.ready = undefined;
        failures.push(`${name}: ${(e as Error).message}`);
        codes.add(e instanceof LiftError ? e.code : 'E_BACKEND');
      }
    }
    const only = codes.size === 1 ? [...codes][0] : undefined;
    const code = only === 'E_CUDA_MISSING' || only === 'E_BACKEND_MISSING' || only === 'E_WASM_MISSING' ? only : 'E_BACKEND';
    throw new BackendError(`no backend could be initialized:\n  ${failures.join('\n  ')}`, { failures }, code);
  }
}

function own(options: MethodOptions, fragment: OptionsFragment | undefined): MethodOptions {
  return fragment ? Object.fromEntries(Object.entries(options).filter(([k]) => Object.hasOwn(fragment, k))) : options;
}

function checkName(name: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw new InvalidArgumentError(`invalid registry name '${name}': use letters, digits, '_', '.', ':' or '-'`);
  }
  return name;
}
