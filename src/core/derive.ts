/**
 * Derived span fields (WIRE.md §4): display kind, model, provider, tokens, cost,
 * Respan parameters, source location. Computed once at ingest so listing,
 * filtering and rendering never re-read the attribute vocabularies.
 */

import { asNumber, isRecord, tryParseJson } from './llm/values';
import type {
  AttributeValue,
  Attributes,
  DerivedFields,
  DisplayKind,
  RespanField,
  RespanParams,
  SourceLocation,
  SpanEvent,
  StatusCode,
  TokenUsage,
  UnitPrices,
} from './model';
import { setOwn } from './model';

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

/**
 * Vercel AI SDK operations (`ai.operationId`). A call (`ai.generateText`, …)
 * wraps its steps: one model call each (`.doGenerate` / `.doStream`) and the
 * tool calls between them, so the call is a workflow and the steps are the
 * LLM spans. Both carry usage (the call its steps' sum); the roll-up counts the
 * innermost span that carries usage, so each step is counted once.
 */
const AI_SDK_OPERATIONS: Record<string, DisplayKind> = {
  'ai.generateText': 'workflow',
  'ai.streamText': 'workflow',
  'ai.generateObject': 'workflow',
  'ai.streamObject': 'workflow',
  'ai.generateText.doGenerate': 'llm',
  'ai.streamText.doStream': 'llm',
  'ai.generateObject.doGenerate': 'llm',
  'ai.streamObject.doStream': 'llm',
  'ai.toolCall': 'tool',
  'ai.embed': 'embedding',
  'ai.embed.doEmbed': 'embedding',
  'ai.embedMany': 'embedding',
  'ai.embedMany.doEmbed': 'embedding',
  'ai.rerank': 'reranker',
  'ai.rerank.doRerank': 'reranker',
};

/** The OTel GenAI operation of running a tool, also the first word of such spans' names (`execute_tool get_weather`). */
const EXECUTE_TOOL = 'execute_tool';

function stringOf(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

const numberOf: (value: AttributeValue | undefined) => number | undefined = asNumber;

function lookup(table: Record<string, DisplayKind>, value: string | undefined): DisplayKind | undefined {
  if (value === undefined) return undefined;
  // Own keys only: a sender's `constructor` or `toString` is not a kind.
  if (Object.hasOwn(table, value)) return table[value];
  const lower = value.toLowerCase();
  return Object.hasOwn(table, lower) ? table[lower] : undefined;
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

/*
 * Respan parameters. Senders spell each one many ways; all of them are read
 * through one ranked list of attribute keys per parameter (respanParamKeys),
 * built from two tables in one rank order:
 *   1. Respan's own names (RESPAN_PARAM_NAMES) under each namespace that
 *      carries them (RESPAN_NAMESPACES), namespace by namespace;
 *   2. other conventions' names for the same thing (OTHER_CONVENTION_KEYS).
 * So where two spellings disagree, a Respan-specific one wins.
 */

/** Respan's own names of each parameter, without a namespace, preferred first. */
const RESPAN_PARAM_NAMES: Record<RespanField, readonly string[]> = {
  customerIdentifier: ['customer_params.customer_identifier', 'customer_identifier', 'customer.identifier', 'customer_params.id'],
  customerName: ['customer_params.name', 'customer_name', 'customer.name'],
  customerEmail: ['customer_params.email', 'customer_email', 'customer.email'],
  threadIdentifier: ['threads.thread_identifier', 'thread_identifier', 'thread.id', 'thread.identifier', 'sessions.session_identifier'],
  traceGroupIdentifier: ['trace.trace_group_identifier', 'trace_group_identifier', 'trace_group.id', 'trace_group.identifier', 'group_identifier'],
  customIdentifier: ['span_params.custom_identifier', 'custom_identifier'],
  environment: ['environment', 'env'],
};

/**
 * Where senders put Respan's names, most authoritative first: Respan's
 * prefixes (`keywordsai.` is the legacy one); Traceloop association
 * properties (how Traceloop-based SDKs propagate them to every span); the
 * Vercel AI SDK's telemetry metadata (where Respan's docs tell Vercel users to
 * pass them); bare (Respan ingest JSON, whose names have no dots).
 */
const RESPAN_NAMESPACES = ['respan.', 'keywordsai.', 'traceloop.association.properties.', 'ai.telemetry.metadata.', ''];

/** Other conventions' keys for the same parameters, ranked below every Respan spelling. */
const OTHER_CONVENTION_KEYS: Partial<Record<RespanField, readonly string[]>> = {
  customerIdentifier: [
    'traceloop.association.properties.customer_id',
    'traceloop.association.properties.user_id',
    // OpenInference (and the OTel `user.id` attribute).
    'user.id',
  ],
  threadIdentifier: [
    'traceloop.association.properties.thread_id',
    'traceloop.association.properties.session_id',
    'gen_ai.conversation.id',
    // OpenInference.
    'session.id',
  ],
};

/** Every key of one Respan parameter, in rank order. */
function respanParamKeys(field: RespanField): string[] {
  const names = RESPAN_PARAM_NAMES[field];
  return [
    ...RESPAN_NAMESPACES.flatMap((namespace) => names.filter((name) => namespace !== '' || !name.includes('.')).map((name) => namespace + name)),
    ...(OTHER_CONVENTION_KEYS[field] ?? []),
  ];
}

/**
 * Metadata, most preferred first: one key per entry under a prefix, or a whole
 * object (or its JSON text) under one key. `decode` marks the spellings whose
 * SDKs write each value as JSON text.
 */
const METADATA_SPELLINGS: ReadonlyArray<{ prefix: string; decode: boolean } | { whole: string }> = [
  { prefix: 'respan.metadata.', decode: true },
  { prefix: 'keywordsai.metadata.', decode: true },
  { whole: 'respan.metadata' },
  { whole: 'keywordsai.metadata' },
  // Respan ingest JSON and OpenInference (JSON text).
  { whole: 'metadata' },
  // The Vercel AI SDK; its identity keys are read above as parameters.
  { prefix: 'ai.telemetry.metadata.', decode: false },
];

const TRACELOOP_KIND = slot(AS_STRING, ['traceloop.span.kind']);
const LOG_TYPE = slot(AS_STRING, ['respan.entity.log_type', 'keywordsai.entity.log_type', 'respan.log_type', 'log_type']);
const OPENINFERENCE_KIND = slot(AS_STRING, ['openinference.span.kind']);
const GENAI_OPERATION = slot(AS_STRING, ['gen_ai.operation.name']);
const LLM_REQUEST_TYPE = slot(AS_STRING, ['llm.request.type']);
const AI_SDK_OPERATION = slot(AS_STRING, ['ai.operationId']);
const HAS_LLM = slot(AS_RAW, ['gen_ai.system', 'gen_ai.request.model', 'gen_ai.provider.name']);
const HAS_HTTP = slot(AS_RAW, ['http.method', 'http.request.method', 'url.full']);
const HAS_DB = slot(AS_RAW, ['db.system', 'db.system.name']);
const HAS_MESSAGING = slot(AS_RAW, ['messaging.system']);

const MODEL = slot(AS_STRING, [
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'embedding.model_name',
  'llm.response.model',
  'llm.request.model',
  'ai.response.model',
  'ai.model.id',
  'model',
]);
const PROVIDER = slot(AS_STRING, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'ai.model.provider', 'provider_id', 'provider']);

const INPUT_TOKENS = slot(AS_NUMBER, [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'llm.usage.prompt_tokens',
  'llm.token_count.prompt',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
  // The AI SDK's embedding calls count only input tokens, under this name.
  'ai.usage.tokens',
  'prompt_tokens',
]);
const OUTPUT_TOKENS = slot(AS_NUMBER, [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.usage.completion_tokens',
  'llm.token_count.completion',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
  'completion_tokens',
]);
const TOTAL_TOKENS = slot(AS_NUMBER, ['llm.usage.total_tokens', 'gen_ai.usage.total_tokens', 'llm.token_count.total', 'ai.usage.totalTokens', 'total_tokens']);
const CACHE_READ_TOKENS = slot(AS_NUMBER, [
  'gen_ai.usage.cache_read_input_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'llm.token_count.prompt_details.cache_read',
  'ai.usage.inputTokenDetails.cacheReadTokens',
  'ai.usage.cachedInputTokens',
  'cache_read_input_tokens',
  'prompt_cache_hit_tokens',
]);
const CACHE_WRITE_TOKENS = slot(AS_NUMBER, [
  'gen_ai.usage.cache_creation_input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'llm.token_count.prompt_details.cache_write',
  'ai.usage.inputTokenDetails.cacheWriteTokens',
  'cache_creation_input_tokens',
  'prompt_cache_creation_tokens',
  'cache_creation_prompt_tokens',
]);
const REASONING_TOKENS = slot(AS_NUMBER, [
  'llm.usage.reasoning_tokens',
  'gen_ai.usage.reasoning_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'llm.token_count.completion_details.reasoning',
  'ai.usage.outputTokenDetails.reasoningTokens',
  'ai.usage.reasoningTokens',
  'reasoning_tokens',
]);
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
const RESPAN_PARAM_SLOTS = (Object.keys(RESPAN_PARAM_NAMES) as RespanField[]).map((field) => [field, slot(AS_STRING, respanParamKeys(field))] as const);
const RESPAN_PARAM_SLOT_OF = Object.fromEntries(RESPAN_PARAM_SLOTS) as Record<RespanField, number>;
/** Per parameter, the rank of its first other-convention key: ranks below it are Respan spellings. */
const OTHER_CONVENTIONS_RANK = Object.fromEntries(
  RESPAN_PARAM_SLOTS.map(([field, index]) => [field, SLOTS[index].keys.length - (OTHER_CONVENTION_KEYS[field]?.length ?? 0)]),
) as Record<RespanField, number>;
const CUSTOMER_PARAMS = slot(AS_RAW, ['customer_params']);
/** Per {@link METADATA_SPELLINGS} entry: the slot of a whole object, or -1 for a per-key prefix. */
const METADATA_WHOLE_SLOTS = METADATA_SPELLINGS.map((spelling) => ('whole' in spelling ? slot(AS_RAW, [spelling.whole]) : -1));

const CODE_FILE = slot(AS_STRING, ['code.file.path', 'code.filepath']);
const CODE_LINE = slot(AS_NUMBER, ['code.line.number', 'code.lineno']);
const CODE_COLUMN = slot(AS_NUMBER, ['code.column.number', 'code.column']);
const CODE_FUNCTION = slot(AS_STRING, ['code.function.name', 'code.function']);
const CODE_NAMESPACE = slot(AS_STRING, ['code.namespace']);

const ERROR_BIT = slot(AS_RAW, ['error_bit']);
const STATUS_CODE = slot(AS_RAW, ['status_code']);
const STATUS = slot(AS_RAW, ['status']);

const ENTITY_NAME = slot(AS_STRING, ['traceloop.entity.name', 'respan.entity.name', 'span_name', 'ai.toolCall.name']);
const ENTITY_PATH = slot(AS_STRING, ['traceloop.entity.path', 'respan.entity.path', 'span_path']);
// The AI SDK's function id names every span of one call, as a workflow name does.
const WORKFLOW_NAME = slot(AS_STRING, ['traceloop.workflow.name', 'respan.workflow.name', 'span_workflow_name', 'ai.telemetry.functionId']);

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
/** Per slot, the attribute key its value came from. */
const foundKeys: string[] = new Array(SLOTS.length).fill('');
/** Per-key metadata attributes (`respan.metadata.plan`, …), in attribute order, and their spelling's index in METADATA_SPELLINGS. */
const metadataKeys: string[] = [];
const metadataSpellings: number[] = [];

/**
 * What senders write in a model field when they know no model: Respan's
 * exporter for the Vercel AI SDK writes `unknown` on tool spans, and a
 * stringified Python `None` or JavaScript `undefined`/`null` is no name either.
 */
const NO_MODEL_VALUES: ReadonlySet<string> = new Set(['', 'unknown', 'none', 'null', 'undefined', 'n/a']);

/** True when a model field's text names no model (see {@link NO_MODEL_VALUES}). */
export function isNoModel(value: string): boolean {
  return NO_MODEL_VALUES.has(value.trim().toLowerCase());
}

function scan(attributes: Attributes): void {
  found.fill(NO_RANK);
  metadataKeys.length = 0;
  metadataSpellings.length = 0;
  for (const key in attributes) {
    const roles = KEY_TABLE.get(key);
    if (roles === undefined) {
      const spelling = metadataSpellingOf(key);
      if (spelling >= 0) {
        metadataKeys.push(key);
        metadataSpellings.push(spelling);
      }
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
      // A placeholder model leaves the slot to the next alias.
      if (index === MODEL && isNoModel(value as string)) continue;
      found[index] = rank;
      values[index] = value;
      foundKeys[index] = key;
    }
  }
}

/** The per-key metadata prefixes, each with its index in METADATA_SPELLINGS. */
const METADATA_PREFIXES = METADATA_SPELLINGS.flatMap((spelling, index) => ('prefix' in spelling ? [[spelling.prefix, index] as const] : []));

/** The index in METADATA_SPELLINGS of the per-key prefix `key` starts with (and extends), or -1. */
function metadataSpellingOf(key: string): number {
  for (let i = 0; i < METADATA_PREFIXES.length; i++) {
    const [prefix, index] = METADATA_PREFIXES[i];
    if (key.length > prefix.length && key.startsWith(prefix)) return index;
  }
  return -1;
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

/** The display kind of a span, by the precedence of WIRE.md §4; `name` is the span's name. */
export function displayKindOf(attributes: Attributes, name = ''): DisplayKind {
  scan(attributes);
  return scannedDisplayKind(name);
}

function scannedDisplayKind(name: string): DisplayKind {
  const kind =
    lookup(TRACELOOP_KINDS, text(TRACELOOP_KIND)) ??
    lookup(RESPAN_LOG_TYPES, text(LOG_TYPE)) ??
    lookup(OPENINFERENCE_KINDS, text(OPENINFERENCE_KIND)?.toUpperCase()) ??
    lookup(AI_SDK_OPERATIONS, text(AI_SDK_OPERATION)) ??
    lookup(GENAI_OPERATIONS, text(GENAI_OPERATION)) ??
    lookup(LLM_REQUEST_TYPES, text(LLM_REQUEST_TYPE)) ??
    scannedFallbackKind();
  // `task` is the generic label instrumentations put on any unit of work (Traceloop's
  // LangChain tools say `task` for compatibility); a span that says it runs a tool is one.
  return kind === 'task' && scannedExecutesTool(name) ? 'tool' : kind;
}

function scannedExecutesTool(name: string): boolean {
  return text(GENAI_OPERATION) === EXECUTE_TOOL || name === EXECUTE_TOOL || name.startsWith(`${EXECUTE_TOOL} `);
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
    // Text that is not a JSON object counts as absent; the raw attribute still shows.
    const parsed = tryParseJson(value);
    if (parsed.ok && isRecord(parsed.value)) return parsed.value as Record<string, AttributeValue>;
  }
  return undefined;
}

/** First characters of JSON text (a string, object, array, number, true, false, null). */
const JSON_TEXT_START = /^["{[\-0-9tfn]/;

/**
 * A metadata value as its SDK meant it. `@keywordsai/tracing` writes each value
 * as `JSON.stringify(value)` (`"\"pro\""`, `"3"`), Respan's Python SDK numbers
 * as their text (`"0"`). Decoded only when the text is exactly what
 * `JSON.stringify` writes for the decoded value, so text that merely parses
 * (`"3.0"`, `"{ }"`, a 20-digit id) stays as sent.
 */
function decodedJsonText(value: AttributeValue): AttributeValue {
  if (typeof value !== 'string' || !JSON_TEXT_START.test(value)) return value;
  const parsed = tryParseJson(value);
  return parsed.ok && JSON.stringify(parsed.value) === value ? (parsed.value as AttributeValue) : value;
}

/** Respan customer/thread/trace-group/metadata/environment from any of their spellings. */
export function respanParamsOf(attributes: Attributes): RespanParams | undefined {
  scan(attributes);
  return scannedRespanParams(attributes);
}

/** Fields a Respan ingest `customer_params` object fills, by its key. */
const CUSTOMER_PARAMS_FIELDS: ReadonlyArray<readonly [RespanField, string]> = [
  ['customerIdentifier', 'customer_identifier'],
  ['customerName', 'name'],
  ['customerEmail', 'email'],
];

function scannedRespanParams(attributes: Attributes): RespanParams | undefined {
  const params: RespanParams = {};
  const sources: Partial<Record<RespanField, string>> = {};
  let any = false;
  for (let i = 0; i < RESPAN_PARAM_SLOTS.length; i++) {
    const [field, index] = RESPAN_PARAM_SLOTS[i];
    const value = text(index);
    if (value !== undefined) {
      params[field] = value;
      sources[field] = foundKeys[index];
      any = true;
    }
  }
  const customerParams = parseJsonObject(raw(CUSTOMER_PARAMS));
  if (customerParams) {
    // A Respan spelling: it outranks other conventions' keys, not Respan's own flat ones.
    for (const [field, key] of CUSTOMER_PARAMS_FIELDS) {
      const value = stringOf(customerParams[key]);
      if (value !== undefined && found[RESPAN_PARAM_SLOT_OF[field]] >= OTHER_CONVENTIONS_RANK[field]) {
        params[field] = value;
        sources[field] = 'customer_params';
      }
    }
    any ||= params.customerIdentifier !== undefined;
  }
  const metadata = scannedMetadata(attributes);
  if (metadata) {
    params.metadata = metadata;
    any = true;
  }
  if (!any) return undefined;
  if (Object.keys(sources).length > 0) params.sources = sources;
  return params;
}

/** Metadata merged over every spelling, a more preferred one winning per key. */
function scannedMetadata(attributes: Attributes): Record<string, AttributeValue> | undefined {
  let metadata: Record<string, AttributeValue> | undefined;
  const fill = (key: string, value: AttributeValue) => {
    metadata ??= {};
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) setOwn(metadata, key, value);
  };
  for (let spelling = 0; spelling < METADATA_SPELLINGS.length; spelling++) {
    const entry = METADATA_SPELLINGS[spelling];
    if ('whole' in entry) {
      const whole = parseJsonObject(raw(METADATA_WHOLE_SLOTS[spelling]));
      if (whole) for (const key of Object.keys(whole)) fill(key, whole[key]);
      continue;
    }
    for (let i = 0; i < metadataKeys.length; i++) {
      if (metadataSpellings[i] !== spelling) continue;
      const value = attributes[metadataKeys[i]];
      fill(metadataKeys[i].slice(entry.prefix.length), entry.decode ? decodedJsonText(value) : value);
    }
  }
  return metadata;
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

/** The model a span names, from every alias senders use. */
export function modelOf(attributes: Attributes): string | undefined {
  scan(attributes);
  return text(MODEL);
}

/** All derived fields of one span; `name` is the span's name. */
export function deriveFields(
  attributes: Attributes,
  resource: Attributes,
  statusCode: StatusCode,
  events: readonly SpanEvent[],
  name = '',
): DerivedFields {
  scan(attributes);
  const derived: DerivedFields = {
    displayKind: scannedDisplayKind(name),
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
