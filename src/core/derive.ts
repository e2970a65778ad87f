/**
 * Derived span fields (WIRE.md §4): display kind, model, provider, tokens, cost,
 * Respan parameters, source location. Computed once at ingest so listing,
 * filtering and rendering never re-read the attribute vocabularies.
 */

import { asNumber } from './llm/values';
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
  UnitPrices,
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

function stringOf(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

const numberOf: (value: AttributeValue | undefined) => number | undefined = asNumber;

function lookup(table: Record<string, DisplayKind>, value: string | undefined): DisplayKind | undefined {
  return value === undefined ? undefined : table[value] ?? table[value.toLowerCase()];
}

/*
 * One pass over the attribute keys. Each alias key of each derived field maps,
 * through a static table, to a slot and its rank among that slot's aliases
 * (0 = most preferred). The scan keeps, per slot, the best-ranked value that
 * qualifies, which is exactly what probing the aliases in order would find.
 * A span's dozen keys cost a dozen table lookups instead of ~150 probes.
 */

/** A slot keeps the first alias (by rank) whose value is a non-empty string or a number. */
const AS_STRING = 0;
/** A slot keeps the first alias whose value is a finite number or numeric text. */
const AS_NUMBER = 1;
/** A slot keeps the value as is, present whatever it holds (for presence tests and nested values). */
const AS_RAW = 2;

type SlotMode = typeof AS_STRING | typeof AS_NUMBER | typeof AS_RAW;

const SLOTS: Array<{ mode: SlotMode; keys: readonly string[] }> = [];

function slot(mode: SlotMode, keys: readonly string[]): number {
  SLOTS.push({ mode, keys });
  return SLOTS.length - 1;
}

/** The Respan parameter prefixes, newest first (`keywordsai.` is the legacy name). */
const RESPAN_PREFIXES = ['respan.', 'keywordsai.'];

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

/** Keys for one Respan parameter: prefixed forms first, then the association-property and bare ingest names. */
function respanParamKeys(suffixes: readonly string[]): string[] {
  return [
    ...RESPAN_PREFIXES.flatMap((prefix) => suffixes.map((suffix) => prefix + suffix)),
    ...suffixes.map((suffix) => `traceloop.association.properties.${suffix}`),
    ...suffixes.filter((suffix) => !suffix.includes('.')),
  ];
}

const TRACELOOP_KIND = slot(AS_STRING, ['traceloop.span.kind']);
const LOG_TYPE = slot(AS_STRING, ['respan.entity.log_type', 'keywordsai.entity.log_type', 'respan.log_type', 'log_type']);
const OPENINFERENCE_KIND = slot(AS_STRING, ['openinference.span.kind']);
const GENAI_OPERATION = slot(AS_STRING, ['gen_ai.operation.name']);
const LLM_REQUEST_TYPE = slot(AS_STRING, ['llm.request.type']);
const HAS_LLM = slot(AS_RAW, ['gen_ai.system', 'gen_ai.request.model', 'gen_ai.provider.name']);
const HAS_HTTP = slot(AS_RAW, ['http.method', 'http.request.method', 'url.full']);
const HAS_DB = slot(AS_RAW, ['db.system', 'db.system.name']);
const HAS_MESSAGING = slot(AS_RAW, ['messaging.system']);

const MODEL = slot(AS_STRING, ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'llm.response.model', 'llm.request.model', 'model']);
const PROVIDER = slot(AS_STRING, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'provider_id', 'provider']);

const INPUT_TOKENS = slot(AS_NUMBER, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens', 'llm.token_count.prompt', 'prompt_tokens']);
const OUTPUT_TOKENS = slot(AS_NUMBER, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.usage.completion_tokens', 'llm.token_count.completion', 'completion_tokens']);
const TOTAL_TOKENS = slot(AS_NUMBER, ['llm.usage.total_tokens', 'gen_ai.usage.total_tokens', 'llm.token_count.total', 'total_tokens']);
const CACHE_READ_TOKENS = slot(AS_NUMBER, ['gen_ai.usage.cache_read_input_tokens', 'gen_ai.usage.cache_read.input_tokens', 'llm.token_count.prompt_details.cache_read', 'cache_read_input_tokens', 'prompt_cache_hit_tokens']);
const CACHE_WRITE_TOKENS = slot(AS_NUMBER, ['gen_ai.usage.cache_creation_input_tokens', 'gen_ai.usage.cache_creation.input_tokens', 'llm.token_count.prompt_details.cache_write', 'cache_creation_input_tokens', 'prompt_cache_creation_tokens', 'cache_creation_prompt_tokens']);
const REASONING_TOKENS = slot(AS_NUMBER, ['llm.usage.reasoning_tokens', 'gen_ai.usage.reasoning_tokens', 'gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning', 'reasoning_tokens']);
const USAGE = slot(AS_RAW, ['usage']);
/** Token fields in the order they are filled in. */
const TOKEN_SLOTS: ReadonlyArray<readonly [keyof TokenUsage, number]> = [
  ['input', INPUT_TOKENS],
  ['output', OUTPUT_TOKENS],
  ['total', TOTAL_TOKENS],
  ['cacheRead', CACHE_READ_TOKENS],
  ['cacheWrite', CACHE_WRITE_TOKENS],
  ['reasoning', REASONING_TOKENS],
];

const COST = slot(AS_NUMBER, ['cost', 'gen_ai.usage.cost', 'llm.usage.cost', 'respan.cost', 'llm.cost.total']);
const PROMPT_PRICE = slot(AS_NUMBER, ['prompt_unit_price', 'respan.prompt_unit_price', 'keywordsai.prompt_unit_price']);
const COMPLETION_PRICE = slot(AS_NUMBER, ['completion_unit_price', 'respan.completion_unit_price', 'keywordsai.completion_unit_price']);

/** Respan parameter → its slot, in the order the parameters are filled in. */
const RESPAN_PARAM_SLOTS = Object.entries(RESPAN_PARAM_SUFFIXES).map(
  ([field, suffixes]) => [field as Exclude<keyof RespanParams, 'metadata'>, slot(AS_STRING, respanParamKeys(suffixes))] as const,
);
const CUSTOMER_PARAMS = slot(AS_RAW, ['customer_params']);
/** Whole metadata objects, most preferred first. */
const METADATA_SLOTS = [slot(AS_RAW, ['respan.metadata']), slot(AS_RAW, ['keywordsai.metadata']), slot(AS_RAW, ['metadata'])];

const CODE_FILE = slot(AS_STRING, ['code.file.path', 'code.filepath']);
const CODE_LINE = slot(AS_NUMBER, ['code.line.number', 'code.lineno']);
const CODE_COLUMN = slot(AS_NUMBER, ['code.column.number', 'code.column']);
const CODE_FUNCTION = slot(AS_STRING, ['code.function.name', 'code.function']);
const CODE_NAMESPACE = slot(AS_STRING, ['code.namespace']);

const ERROR_BIT = slot(AS_RAW, ['error_bit']);
const STATUS_CODE = slot(AS_RAW, ['status_code']);
const STATUS = slot(AS_RAW, ['status']);

const ENTITY_NAME = slot(AS_STRING, ['traceloop.entity.name', 'respan.entity.name', 'span_name']);
const ENTITY_PATH = slot(AS_STRING, ['traceloop.entity.path', 'respan.entity.path', 'span_path']);
const WORKFLOW_NAME = slot(AS_STRING, ['traceloop.workflow.name', 'respan.workflow.name', 'span_workflow_name']);

/** Alias key → its (slot, rank) pairs, packed as `slot * 256 + rank` (a key may feed several slots). */
const KEY_TABLE = new Map<string, number[]>();
SLOTS.forEach(({ keys }, index) =>
  keys.forEach((key, rank) => {
    const roles = KEY_TABLE.get(key);
    if (roles) roles.push(index * 256 + rank);
    else KEY_TABLE.set(key, [index * 256 + rank]);
  }),
);

const NO_RANK = 255;

/**
 * The result of one scan: per slot, the rank found (NO_RANK when none) and its
 * value (already converted for string and number slots). Reused by every scan,
 * so it must be read before the next one starts.
 */
const found = new Uint8Array(SLOTS.length);
const values: Array<AttributeValue | undefined> = new Array(SLOTS.length).fill(undefined);
/** `respan.metadata.*` / `keywordsai.metadata.*` keys, in attribute order. */
const metadataKeys: string[] = [];

function scan(attributes: Attributes): void {
  found.fill(NO_RANK);
  metadataKeys.length = 0;
  for (const key in attributes) {
    const roles = KEY_TABLE.get(key);
    if (roles === undefined) {
      if (isMetadataKey(key)) metadataKeys.push(key);
      continue;
    }
    for (let i = 0; i < roles.length; i++) {
      const index = roles[i] >> 8;
      const rank = roles[i] & 255;
      if (rank >= found[index]) continue;
      const raw = attributes[key];
      const mode = SLOTS[index].mode;
      const value = mode === AS_STRING ? stringOf(raw) : mode === AS_NUMBER ? numberOf(raw) : raw;
      if (value === undefined && mode !== AS_RAW) continue;
      found[index] = rank;
      values[index] = value;
    }
  }
}

function isMetadataKey(key: string): boolean {
  for (const prefix of RESPAN_PREFIXES) if (key.startsWith(prefix) && key.startsWith('metadata.', prefix.length)) return true;
  return false;
}

/** The scanned value of a string slot, or undefined. */
function text(index: number): string | undefined {
  return found[index] === NO_RANK ? undefined : (values[index] as string);
}

/** The scanned value of a number slot, or undefined. */
function num(index: number): number | undefined {
  return found[index] === NO_RANK ? undefined : (values[index] as number);
}

/** The scanned value of a raw slot (undefined when absent). */
function raw(index: number): AttributeValue | undefined {
  return found[index] === NO_RANK ? undefined : values[index];
}

function present(index: number): boolean {
  return found[index] !== NO_RANK;
}

/** The display kind of a span, by the precedence of WIRE.md §4. */
export function displayKindOf(attributes: Attributes): DisplayKind {
  scan(attributes);
  return scannedDisplayKind();
}

function scannedDisplayKind(): DisplayKind {
  return (
    lookup(TRACELOOP_KINDS, text(TRACELOOP_KIND)) ??
    lookup(RESPAN_LOG_TYPES, text(LOG_TYPE)) ??
    lookup(OPENINFERENCE_KINDS, text(OPENINFERENCE_KIND)?.toUpperCase()) ??
    lookup(GENAI_OPERATIONS, text(GENAI_OPERATION)) ??
    lookup(LLM_REQUEST_TYPES, text(LLM_REQUEST_TYPE)) ??
    scannedFallbackKind()
  );
}

function scannedFallbackKind(): DisplayKind {
  if (present(HAS_LLM)) return 'llm';
  if (present(HAS_HTTP)) return 'http';
  if (present(HAS_DB)) return 'database';
  if (present(HAS_MESSAGING)) return 'messaging';
  return 'span';
}

/** Token usage from every alias senders use, or undefined when none is present. */
export function tokensOf(attributes: Attributes): TokenUsage | undefined {
  scan(attributes);
  return scannedTokens();
}

function scannedTokens(): TokenUsage | undefined {
  const usage: TokenUsage = {};
  let any = false;
  for (let i = 0; i < TOKEN_SLOTS.length; i++) {
    const value = num(TOKEN_SLOTS[i][1]);
    if (value !== undefined) {
      usage[TOKEN_SLOTS[i][0]] = value;
      any = true;
    }
  }
  const nested = raw(USAGE);
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    usage.input ??= numberOf(nested.prompt_tokens) ?? numberOf(nested.input_tokens);
    usage.output ??= numberOf(nested.completion_tokens) ?? numberOf(nested.output_tokens);
    usage.total ??= numberOf(nested.total_tokens);
    any ||= usage.input !== undefined || usage.output !== undefined || usage.total !== undefined;
    // Respan ingest usage objects, in OpenAI's shape or Anthropic's.
    usage.cacheRead ??= numberOf(nested.cache_read_input_tokens) ?? numberOf(detail(nested.prompt_tokens_details, 'cached_tokens'));
    usage.cacheWrite ??= numberOf(nested.cache_creation_input_tokens) ?? numberOf(nested.cache_creation_prompt_tokens);
    usage.reasoning ??= numberOf(detail(nested.completion_tokens_details, 'reasoning_tokens'));
  }
  if (!any) return undefined;
  if (usage.total === undefined && (usage.input !== undefined || usage.output !== undefined)) {
    usage.total = (usage.input ?? 0) + (usage.output ?? 0);
  }
  for (const key of Object.keys(usage) as (keyof TokenUsage)[]) if (usage[key] === undefined) delete usage[key];
  return usage;
}

/** One field of a nested usage-details object (`prompt_tokens_details.cached_tokens`). */
function detail(details: AttributeValue | undefined, key: string): AttributeValue | undefined {
  return details && typeof details === 'object' && !Array.isArray(details) ? details[key] : undefined;
}

/**
 * Custom unit prices (USD per million tokens) the span carries. The cost they
 * give, like every estimate, is worked out as the span enters the store
 * (`src/core/cost`), where the token partition rules live.
 */
export function unitPricesOf(attributes: Attributes): UnitPrices | undefined {
  scan(attributes);
  return scannedUnitPrices();
}

function scannedUnitPrices(): UnitPrices | undefined {
  const prompt = num(PROMPT_PRICE);
  const completion = num(COMPLETION_PRICE);
  if (prompt === undefined && completion === undefined) return undefined;
  const prices: UnitPrices = {};
  if (prompt !== undefined) prices.prompt = prompt;
  if (completion !== undefined) prices.completion = completion;
  return prices;
}

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
  scan(attributes);
  return scannedRespanParams(attributes);
}

function scannedRespanParams(attributes: Attributes): RespanParams | undefined {
  const params: RespanParams = {};
  let any = false;
  for (let i = 0; i < RESPAN_PARAM_SLOTS.length; i++) {
    const value = text(RESPAN_PARAM_SLOTS[i][1]);
    if (value !== undefined) {
      params[RESPAN_PARAM_SLOTS[i][0]] = value;
      any = true;
    }
  }
  const customerParams = parseJsonObject(raw(CUSTOMER_PARAMS));
  if (customerParams) {
    params.customerIdentifier ??= stringOf(customerParams.customer_identifier);
    params.customerName ??= stringOf(customerParams.name);
    params.customerEmail ??= stringOf(customerParams.email);
    any ||= params.customerIdentifier !== undefined;
  }

  let metadata: Record<string, AttributeValue> | undefined;
  for (const index of METADATA_SLOTS) {
    // Earlier spellings win: each whole object only fills what is not set yet.
    const whole = parseJsonObject(raw(index));
    if (whole) metadata = { ...whole, ...metadata };
  }
  for (const key of metadataKeys) {
    metadata ??= {};
    metadata[key.slice(key.indexOf('.') + 1 + 'metadata.'.length)] = attributes[key];
  }
  if (metadata) {
    params.metadata = metadata;
    any = true;
  }
  if (!any) return undefined;
  for (const key of Object.keys(params) as (keyof RespanParams)[]) if (params[key] === undefined) delete params[key];
  return params;
}

/** Source location from `code.*` attributes (new names win over old ones). */
export function sourceLocationOf(attributes: Attributes): SourceLocation | undefined {
  scan(attributes);
  return scannedSourceLocation();
}

function scannedSourceLocation(): SourceLocation | undefined {
  const filePath = text(CODE_FILE);
  if (filePath === undefined) return undefined;
  const location: SourceLocation = { filePath };
  const line = num(CODE_LINE);
  const column = num(CODE_COLUMN);
  const functionName = text(CODE_FUNCTION);
  const namespace = text(CODE_NAMESPACE);
  if (line !== undefined) location.line = line;
  if (column !== undefined) location.column = column;
  if (functionName !== undefined) location.functionName = functionName;
  if (namespace !== undefined) location.namespace = namespace;
  return location;
}

function scannedErrorFlag(): boolean {
  const errorBit = raw(ERROR_BIT);
  if (errorBit === 1 || errorBit === true || errorBit === '1') return true;
  const statusCode = numberOf(raw(STATUS_CODE));
  if (statusCode !== undefined && statusCode >= 400) return true;
  const status = raw(STATUS);
  return typeof status === 'string' && status.toLowerCase() === 'error';
}

function hasException(events: readonly SpanEvent[]): boolean {
  for (let i = 0; i < events.length; i++) if (events[i].name === 'exception') return true;
  return false;
}

/** All derived fields of one span. */
export function deriveFields(
  attributes: Attributes,
  resource: Attributes,
  statusCode: StatusCode,
  events: readonly SpanEvent[],
): DerivedFields {
  scan(attributes);
  const derived: DerivedFields = {
    displayKind: scannedDisplayKind(),
    isError: statusCode === 'ERROR' || hasException(events) || scannedErrorFlag(),
  };
  const service = stringOf(resource['service.name']);
  if (service !== undefined) derived.service = service;
  const model = text(MODEL);
  if (model !== undefined) derived.model = model;
  const provider = text(PROVIDER);
  if (provider !== undefined) derived.provider = provider;
  const tokens = scannedTokens();
  if (tokens) derived.tokens = tokens;
  const cost = num(COST);
  if (cost !== undefined) {
    derived.cost = cost;
    derived.costSource = 'reported';
  }
  const unitPrices = scannedUnitPrices();
  if (unitPrices) derived.unitPrices = unitPrices;
  const respan = scannedRespanParams(attributes);
  if (respan) derived.respan = respan;
  const sourceLocation = scannedSourceLocation();
  if (sourceLocation) derived.sourceLocation = sourceLocation;
  const entityName = text(ENTITY_NAME);
  if (entityName !== undefined) derived.entityName = entityName;
  const entityPath = text(ENTITY_PATH);
  if (entityPath !== undefined) derived.entityPath = entityPath;
  const workflowName = text(WORKFLOW_NAME);
  if (workflowName !== undefined) derived.workflowName = workflowName;
  return derived;
}
