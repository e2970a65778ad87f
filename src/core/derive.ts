/**
 * Derived span fields (WIRE.md §4): display kind, model, provider, tokens, cost,
 * Respan parameters, source location. Computed once at ingest so listing,
 * filtering and rendering never re-read the attribute vocabularies.
 */

import type {
  AttributeValue,
  Attributes,
  DerivedFields,
  DisplayKind,
  RespanParams,
  SourceLocation,
  SpanEvent,
  StatusCode,
  TokenUsage,
} from './model';

const TRACELOOP_KINDS: Record<string, DisplayKind> = {
  workflow: 'workflow',
  task: 'task',
  agent: 'agent',
  tool: 'tool',
  session: 'session',
};

const RESPAN_LOG_TYPES: Record<string, DisplayKind> = {
  chat: 'llm',
  text: 'llm',
  completion: 'llm',
  response: 'llm',
  generation: 'llm',
  transcription: 'llm',
  speech: 'llm',
  embedding: 'embedding',
  workflow: 'workflow',
  task: 'task',
  tool: 'tool',
  function: 'tool',
  agent: 'agent',
  handoff: 'handoff',
  guardrail: 'guardrail',
  retrieval: 'retriever',
  retriever: 'retriever',
};

const OPENINFERENCE_KINDS: Record<string, DisplayKind> = {
  LLM: 'llm',
  EMBEDDING: 'embedding',
  CHAIN: 'chain',
  RETRIEVER: 'retriever',
  RERANKER: 'reranker',
  TOOL: 'tool',
  AGENT: 'agent',
  GUARDRAIL: 'guardrail',
  EVALUATOR: 'evaluator',
  PROMPT: 'chain',
};

const GENAI_OPERATIONS: Record<string, DisplayKind> = {
  chat: 'llm',
  generate_content: 'llm',
  text_completion: 'llm',
  completion: 'llm',
  embeddings: 'embedding',
  embedding: 'embedding',
  retrieval: 'retriever',
  create_agent: 'agent',
  invoke_agent: 'agent',
  execute_tool: 'tool',
  invoke_workflow: 'workflow',
};

const LLM_REQUEST_TYPES: Record<string, DisplayKind> = {
  chat: 'llm',
  completion: 'llm',
  embedding: 'embedding',
  rerank: 'reranker',
};

/** The Respan parameter prefixes, newest first (`keywordsai.` is the legacy name). */
const RESPAN_PREFIXES = ['respan.', 'keywordsai.'];

function stringOf(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function firstString(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = stringOf(attributes[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function firstNumber(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = numberOf(attributes[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function lookup(table: Record<string, DisplayKind>, value: string | undefined): DisplayKind | undefined {
  return value === undefined ? undefined : table[value] ?? table[value.toLowerCase()];
}

/** The display kind of a span, by the precedence of WIRE.md §4. */
export function displayKindOf(attributes: Attributes): DisplayKind {
  return (
    lookup(TRACELOOP_KINDS, stringOf(attributes['traceloop.span.kind'])) ??
    lookup(
      RESPAN_LOG_TYPES,
      firstString(attributes, ['respan.entity.log_type', 'keywordsai.entity.log_type', 'respan.log_type', 'log_type']),
    ) ??
    lookup(OPENINFERENCE_KINDS, stringOf(attributes['openinference.span.kind'])?.toUpperCase()) ??
    lookup(GENAI_OPERATIONS, stringOf(attributes['gen_ai.operation.name'])) ??
    lookup(LLM_REQUEST_TYPES, stringOf(attributes['llm.request.type'])) ??
    fallbackKind(attributes)
  );
}

function fallbackKind(attributes: Attributes): DisplayKind {
  if ('gen_ai.system' in attributes || 'gen_ai.request.model' in attributes || 'gen_ai.provider.name' in attributes) return 'llm';
  if ('http.method' in attributes || 'http.request.method' in attributes || 'url.full' in attributes) return 'http';
  if ('db.system' in attributes || 'db.system.name' in attributes) return 'database';
  if ('messaging.system' in attributes) return 'messaging';
  return 'span';
}

const MODEL_KEYS = ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'llm.response.model', 'llm.request.model', 'model'];
const PROVIDER_KEYS = ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'provider_id', 'provider'];

const INPUT_TOKEN_KEYS = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens', 'llm.token_count.prompt', 'prompt_tokens'];
const OUTPUT_TOKEN_KEYS = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.usage.completion_tokens', 'llm.token_count.completion', 'completion_tokens'];
const TOTAL_TOKEN_KEYS = ['llm.usage.total_tokens', 'gen_ai.usage.total_tokens', 'llm.token_count.total', 'total_tokens'];
const CACHE_READ_KEYS = ['gen_ai.usage.cache_read_input_tokens', 'gen_ai.usage.cache_read.input_tokens', 'llm.token_count.prompt_details.cache_read', 'cache_read_input_tokens'];
const CACHE_WRITE_KEYS = ['gen_ai.usage.cache_creation_input_tokens', 'gen_ai.usage.cache_creation.input_tokens', 'llm.token_count.prompt_details.cache_write', 'cache_creation_input_tokens'];
const REASONING_KEYS = ['llm.usage.reasoning_tokens', 'gen_ai.usage.reasoning_tokens', 'gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning', 'reasoning_tokens'];

/** Token usage from every alias senders use, or undefined when none is present. */
export function tokensOf(attributes: Attributes): TokenUsage | undefined {
  const usage: TokenUsage = {};
  let found = false;
  const set = (field: keyof TokenUsage, keys: readonly string[]) => {
    const value = firstNumber(attributes, keys);
    if (value !== undefined) {
      usage[field] = value;
      found = true;
    }
  };
  set('input', INPUT_TOKEN_KEYS);
  set('output', OUTPUT_TOKEN_KEYS);
  set('total', TOTAL_TOKEN_KEYS);
  set('cacheRead', CACHE_READ_KEYS);
  set('cacheWrite', CACHE_WRITE_KEYS);
  set('reasoning', REASONING_KEYS);
  const nested = attributes.usage;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    usage.input ??= numberOf(nested.prompt_tokens) ?? numberOf(nested.input_tokens);
    usage.output ??= numberOf(nested.completion_tokens) ?? numberOf(nested.output_tokens);
    usage.total ??= numberOf(nested.total_tokens);
    found ||= usage.input !== undefined || usage.output !== undefined || usage.total !== undefined;
  }
  if (!found) return undefined;
  if (usage.total === undefined && (usage.input !== undefined || usage.output !== undefined)) {
    usage.total = (usage.input ?? 0) + (usage.output ?? 0);
  }
  for (const key of Object.keys(usage) as (keyof TokenUsage)[]) if (usage[key] === undefined) delete usage[key];
  return usage;
}

/**
 * Cost in USD: the span's own figure, else custom unit prices (USD per 1M tokens)
 * applied to its tokens.
 */
export function costOf(attributes: Attributes, tokens: TokenUsage | undefined): number | undefined {
  const explicit = firstNumber(attributes, ['cost', 'gen_ai.usage.cost', 'llm.usage.cost', 'respan.cost', 'llm.cost.total']);
  if (explicit !== undefined) return explicit;
  const promptPrice = firstNumber(attributes, ['prompt_unit_price', 'respan.prompt_unit_price', 'keywordsai.prompt_unit_price']);
  const completionPrice = firstNumber(attributes, ['completion_unit_price', 'respan.completion_unit_price', 'keywordsai.completion_unit_price']);
  if (!tokens || (promptPrice === undefined && completionPrice === undefined)) return undefined;
  return ((tokens.input ?? 0) * (promptPrice ?? 0) + (tokens.output ?? 0) * (completionPrice ?? 0)) / 1_000_000;
}

/** Every spelling of each Respan parameter, without its `respan.`/`keywordsai.` prefix. */
const RESPAN_PARAM_SUFFIXES: Record<Exclude<keyof RespanParams, 'metadata'>, readonly string[]> = {
  customerIdentifier: ['customer_params.customer_identifier', 'customer_identifier', 'customer.identifier', 'customer_params.id'],
  customerName: ['customer_params.name', 'customer.name'],
  customerEmail: ['customer_params.email', 'customer.email'],
  threadIdentifier: ['threads.thread_identifier', 'thread_identifier', 'thread.id', 'thread.identifier'],
  traceGroupIdentifier: ['trace.trace_group_identifier', 'trace_group_identifier', 'trace_group.id', 'trace_group.identifier', 'group_identifier'],
  customIdentifier: ['span_params.custom_identifier', 'custom_identifier'],
  environment: ['environment', 'env'],
};

/** Keys to look at for each parameter: prefixed forms first, then the bare ingest and association-property names. */
const RESPAN_PARAM_KEYS = Object.fromEntries(
  Object.entries(RESPAN_PARAM_SUFFIXES).map(([field, suffixes]) => [
    field,
    [
      ...RESPAN_PREFIXES.flatMap((prefix) => suffixes.map((suffix) => prefix + suffix)),
      ...suffixes.map((suffix) => `traceloop.association.properties.${suffix}`),
      ...suffixes.filter((suffix) => !suffix.includes('.')),
    ],
  ]),
) as Record<Exclude<keyof RespanParams, 'metadata'>, string[]>;

function parseJsonObject(value: AttributeValue | undefined): Record<string, AttributeValue> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, AttributeValue>;
    } catch {
      // Not JSON: treated as absent, the raw attribute still shows.
    }
  }
  return undefined;
}

/** Respan customer/thread/trace-group/metadata/environment from any of their spellings. */
export function respanParamsOf(attributes: Attributes): RespanParams | undefined {
  const params: RespanParams = {};
  let found = false;
  for (const field of Object.keys(RESPAN_PARAM_KEYS) as (keyof typeof RESPAN_PARAM_KEYS)[]) {
    const value = firstString(attributes, RESPAN_PARAM_KEYS[field]);
    if (value !== undefined) {
      params[field] = value;
      found = true;
    }
  }
  const customerParams = parseJsonObject(attributes.customer_params);
  if (customerParams) {
    params.customerIdentifier ??= stringOf(customerParams.customer_identifier);
    params.customerName ??= stringOf(customerParams.name);
    params.customerEmail ??= stringOf(customerParams.email);
    found ||= params.customerIdentifier !== undefined;
  }

  let metadata: Record<string, AttributeValue> | undefined;
  for (const prefix of RESPAN_PREFIXES) {
    const whole = parseJsonObject(attributes[`${prefix}metadata`]);
    if (whole) metadata = { ...whole, ...metadata };
  }
  const bare = parseJsonObject(attributes.metadata);
  if (bare) metadata = { ...bare, ...metadata };
  for (const key in attributes) {
    for (const prefix of RESPAN_PREFIXES) {
      if (key.startsWith(prefix) && key.startsWith('metadata.', prefix.length)) {
        metadata ??= {};
        metadata[key.slice(prefix.length + 'metadata.'.length)] = attributes[key];
      }
    }
  }
  if (metadata) {
    params.metadata = metadata;
    found = true;
  }
  if (!found) return undefined;
  for (const key of Object.keys(params) as (keyof RespanParams)[]) if (params[key] === undefined) delete params[key];
  return params;
}

/** Source location from `code.*` attributes (new names win over old ones). */
export function sourceLocationOf(attributes: Attributes): SourceLocation | undefined {
  const filePath = firstString(attributes, ['code.file.path', 'code.filepath']);
  if (filePath === undefined) return undefined;
  const location: SourceLocation = { filePath };
  const line = firstNumber(attributes, ['code.line.number', 'code.lineno']);
  const column = firstNumber(attributes, ['code.column.number', 'code.column']);
  const functionName = firstString(attributes, ['code.function.name', 'code.function']);
  const namespace = stringOf(attributes['code.namespace']);
  if (line !== undefined) location.line = line;
  if (column !== undefined) location.column = column;
  if (functionName !== undefined) location.functionName = functionName;
  if (namespace !== undefined) location.namespace = namespace;
  return location;
}

function isErrorFlag(attributes: Attributes): boolean {
  const errorBit = attributes.error_bit;
  if (errorBit === 1 || errorBit === true || errorBit === '1') return true;
  const statusCode = numberOf(attributes.status_code);
  if (statusCode !== undefined && statusCode >= 400) return true;
  const status = attributes.status;
  return typeof status === 'string' && status.toLowerCase() === 'error';
}

/** All derived fields of one span. */
export function deriveFields(
  attributes: Attributes,
  resource: Attributes,
  statusCode: StatusCode,
  events: readonly SpanEvent[],
): DerivedFields {
  const derived: DerivedFields = {
    displayKind: displayKindOf(attributes),
    isError: statusCode === 'ERROR' || events.some((event) => event.name === 'exception') || isErrorFlag(attributes),
  };
  const service = stringOf(resource['service.name']);
  if (service !== undefined) derived.service = service;
  const model = firstString(attributes, MODEL_KEYS);
  if (model !== undefined) derived.model = model;
  const provider = firstString(attributes, PROVIDER_KEYS);
  if (provider !== undefined) derived.provider = provider;
  const tokens = tokensOf(attributes);
  if (tokens) derived.tokens = tokens;
  const cost = costOf(attributes, tokens);
  if (cost !== undefined) derived.cost = cost;
  const respan = respanParamsOf(attributes);
  if (respan) derived.respan = respan;
  const sourceLocation = sourceLocationOf(attributes);
  if (sourceLocation) derived.sourceLocation = sourceLocation;
  const entityName = firstString(attributes, ['traceloop.entity.name', 'respan.entity.name', 'span_name']);
  if (entityName !== undefined) derived.entityName = entityName;
  const entityPath = firstString(attributes, ['traceloop.entity.path', 'respan.entity.path', 'span_path']);
  if (entityPath !== undefined) derived.entityPath = entityPath;
  const workflowName = firstString(attributes, ['traceloop.workflow.name', 'respan.workflow.name', 'span_workflow_name']);
  if (workflowName !== undefined) derived.workflowName = workflowName;
  return derived;
}
