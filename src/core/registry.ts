/**
 * The registry: strategies, optimizers, methods and backends by name. Host applications register
 * their own. Backends carry a priority and are resolved like onnxruntime-common's resolveBackend:
 * candidates are tried in order and every failure is reported at once.
 */
import type { Backend, Method, MethodOptions, OptimizerFactory, StrategyFactory } from './contracts.js';
import { BackendError, InvalidArgumentError, LiftError, RegistryError } from './errors.js';

interface BackendEntry {
  backend: Backend;
  priority: number;
  ready?: Promise<void>;
}

export class Registry {
  private readonly strategies = new Map<string, StrategyFactory>();
  private readonly optimizers = new Map<string, OptimizerFactory>();
  private readonly methods = new Map<string, Method>();
  private readonly backends = new Map<string, BackendEntry>();

  registerStrategy(name: string, factory: StrategyFactory): this {
    this.strategies.set(checkName(name), factory);
    return this;
  }

  registerOptimizer(name: string, factory: OptimizerFactory): this {
    this.optimizers.set(checkName(name), factory);
    return this;
  }

  registerMethod(method: Method): this {
    this.methods.set(checkName(method.name), method);
    return this;
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

  strategy(name: string, options: MethodOptions = {}) {
    const f = this.strategies.get(name);
    if (!f) throw new RegistryError('strategy', name, this.strategyNames());
    return f(options);
  }

  optimizer(name: string, options: MethodOptions = {}) {
    const f = this.optimizers.get(name);
    if (!f) throw new RegistryError('optimizer', name, this.optimizerNames());
    return f(options);
  }

  method(name: string): Method {
    const m = this.methods.get(name);
    if (!m) throw new RegistryError('method', name, this.methodNames());
    return m;
  }

  hasMethod(name: string): boolean {
    return this.methods.has(name);
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
   * init succeeds. Throws one error listing every candidate's failure; its code is E_CUDA_MISSING
   * when that is why every candidate failed (so asking for CUDA alone reports it), E_BACKEND otherwise.
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
    const code = codes.size === 1 && codes.has('E_CUDA_MISSING') ? 'E_CUDA_MISSING' : 'E_BACKEND';
    throw new BackendError(`no backend could be initialized:\n  ${failures.join('\n  ')}`, { failures }, code);
  }
}

function checkName(name: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
    throw new InvalidArgumentError(`invalid registry name '${name}': use letters, digits, '_', '.', ':' or '-'`);
  }
  return name;
}
