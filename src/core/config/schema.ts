/**
 * The JSON Schema of a training run. Defaults live here (ajv fills them in), so `lift schema`
 * prints the one source of truth. Method options are validated by the method's plugin.
 */
export const RUN_SCHEMA = {
  $id: 'https://lift-sft.dev/schemas/run.json',
  title: 'lift-sft run configuration',
  type: 'object',
  additionalProperties: false,
  required: ['model', 'data', 'method'],
  properties: {
    model: { type: 'string', minLength: 1, description: 'Model directory in Hugging Face layout (config.json, *.safetensors).' },
    tokenizer: { type: 'string', minLength: 1, description: 'Tokenizer directory; defaults to the model directory.' },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['train'],
      properties: {
        train: { type: 'string', minLength: 1, description: 'Training records, .json or .jsonl.' },
        eval: { type: 'string', minLength: 1, description: 'Held-out records for loss and accuracy.' },
        template: { type: 'string', description: 'Prompt template with {instruction} and {input}; default Alpaca / LLM-Adapters.' },
        maxLength: { type: 'integer', minimum: 8, default: 256 },
        skipInvalid: { type: 'boolean', default: false, description: 'Skip malformed records and report how many.' },
      },
    },
    method: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, description: 'A registered method: lift, magnitude, random, full, lora, or your own.' },
        options: { type: 'object', default: {}, description: "Method options; unset ones take the method's documented defaults." },
      },
    },
    init: {
      type: 'object',
      additionalProperties: false,
      required: ['adapter'],
      properties: {
        adapter: { type: 'string', minLength: 1, description: "Start from an adapter directory (a PEFT LoRA adapter: adapter_config.json and adapter_model.safetensors); its rank, alpha and target modules become the method's options." },
      },
    },
    optimizer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        lr: { type: 'number', exclusiveMinimum: 0, description: "Peak learning rate; default the method's." },
        betas: { type: 'array', items: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, minItems: 2, maxItems: 2 },
        eps: { type: 'number', exclusiveMinimum: 0 },
        weightDecay: { type: 'number', minimum: 0 },
      },
    },
    schedule: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        type: { enum: ['linear', 'cosine', 'constant'], default: 'linear' },
        warmupRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.03 },
      },
    },
    batchSize: { type: 'integer', minimum: 1, default: 8 },
    gradientAccumulation: { type: 'integer', minimum: 1, default: 1 },
    maxGradNorm: { type: 'number', minimum: 0, default: 1, description: '0 disables clipping.' },
    recompute: {
      enum: ['auto', 'layers', 'none'],
      default: 'auto',
      description:
        "Activation recomputation: 'layers' recomputes each decoder layer's activations from its input in the backward pass, so only layer inputs stay in memory between forward and backward (the same function, float32 rounding may differ; about one more forward pass per step); 'none' keeps them; 'auto' takes 'layers' when the activations a step keeps (estimated from the model's shape, batchSize and data.maxLength) reach 256 MiB, 'none' below.",
    },
    steps: { type: 'integer', minimum: 1, description: 'Optimizer steps; overrides epochs.' },
    epochs: { type: 'number', exclusiveMinimum: 0, default: 1 },
    evaluation: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        every: { type: 'integer', minimum: 0, default: 0, description: 'Evaluate every N steps (0: only at the end).' },
        maxRecords: { type: 'integer', minimum: 1, default: 200 },
        generate: { type: 'boolean', default: true, description: 'Exact-match accuracy by greedy generation.' },
        maxNewTokens: { type: 'integer', minimum: 1, default: 64 },
      },
    },
    seed: { type: 'integer', minimum: 0, default: 42 },
    backend: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: {
          type: 'string',
          description: "A registered backend name; absent: 'onnxruntime-cpu' or 'onnxruntime-cuda' from executionProvider.",
        },
        executionProvider: { enum: ['cpu', 'cuda'], default: 'cpu' },
        deviceId: { type: 'integer', minimum: 0, default: 0 },
        threads: { type: 'integer', minimum: 0, default: 0, description: 'Intra-op threads; 0 lets ONNX Runtime choose.' },
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        dir: { type: 'string', minLength: 1, default: 'runs/latest' },
        checkpointEvery: { type: 'integer', minimum: 0, default: 0, description: 'Checkpoint every N steps (0: only at the end).' },
        dtype: { enum: ['F32', 'BF16'], default: 'F32', description: 'dtype of the exported model.safetensors.' },
      },
    },
    logEvery: { type: 'integer', minimum: 1, default: 1 },
  },
} as const;

export interface RunConfig {
  model: string;
  tokenizer?: string;
  data: { train: string; eval?: string; template?: string; maxLength: number; skipInvalid: boolean };
  method: { name: string; options: Record<string, unknown> };
  init?: { adapter: string };
  optimizer: { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number };
  schedule: { type: 'linear' | 'cosine' | 'constant'; warmupRatio: number };
  batchSize: number;
  gradientAccumulation: number;
  maxGradNorm: number;
  recompute: 'auto' | 'layers' | 'none';
  steps?: number;
  epochs: number;
  evaluation: { every: number; maxRecords: number; generate: boolean; maxNewTokens: number };
  seed: number;
  backend: { name?: string; executionProvider: 'cpu' | 'cuda'; deviceId: number; threads: number };
  output: { dir: string; checkpointEvery: number; dtype: 'F32' | 'BF16' };
  logEvery: number;
}
