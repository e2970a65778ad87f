/**
 * The built-in demo workload: a Respan-style agent app instrumented with the
 * OpenTelemetry JS SDK, exporting over real OTLP to the listener, so a newcomer
 * sees realistic LLM traces in the first minute. Each run is a joke workflow:
 * tasks, chat calls with prompts and completions, an embedding, an
 * Anthropic-style call, a nested agent with a tool call, and a task that fails.
 */

import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Settings of {@link startDemo}. */
export interface DemoOptions {
  /** Base URL of the listener, e.g. `http://127.0.0.1:4318`. */
  baseUrl: string;
  /** Milliseconds between runs. Default 5000. */
  intervalMs?: number;
  /** Stop after this many runs. Default: until stopped. */
  runs?: number;
}

/** A running demo. */
export interface DemoHandle {
  /** Flushes what was recorded and stops. */
  stop(): Promise<void>;
  /** Resolves after the given number of runs have been exported (with `runs`). */
  readonly done: Promise<void>;
}

const JOKE_TOPICS = ['opentelemetry', 'vector databases', 'prompt engineering', 'rubber ducks', 'YAML', 'retries'];
const CUSTOMERS = [
  { id: 'cus_ada', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'cus_grace', name: 'Grace Hopper', email: 'grace@example.com' },
];

/**
 * `code.*` attributes of the caller, read from a stack trace the way
 * auto-instrumentation captures them, so "jump to source" lands in this file.
 */
function codeLocation(): Attributes {
  const frame = new Error().stack?.split('\n')[2] ?? '';
  const match = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?$/.exec(frame.trim());
  if (!match) return {};
  return { 'code.file.path': match[1].replace(/^file:\/\//, ''), 'code.line.number': Number(match[2]), 'code.column.number': Number(match[3]), 'code.function.name': 'record' };
}

/** Simulated clock: spans get realistic durations without the demo sleeping through them. */
class Timeline {
  constructor(private nowMs: number) {}
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
  get now(): number {
    return this.nowMs;
  }
}

function chatAttributes(model: string, system: string, messages: Array<[string, string]>, completion: string, tokens: [number, number]): Attributes {
  const attributes: Attributes = {
    'llm.request.type': 'chat',
    'gen_ai.system': system,
    'gen_ai.request.model': model,
    'gen_ai.response.model': model,
    'gen_ai.request.temperature': 0.7,
    'gen_ai.request.max_tokens': 512,
    'gen_ai.usage.input_tokens': tokens[0],
    'gen_ai.usage.output_tokens': tokens[1],
    'llm.usage.total_tokens': tokens[0] + tokens[1],
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': completion,
    'gen_ai.completion.0.finish_reason': 'stop',
  };
  messages.forEach(([role, content], index) => {
    attributes[`gen_ai.prompt.${index}.role`] = role;
    attributes[`gen_ai.prompt.${index}.content`] = content;
  });
  return attributes;
}

class DemoApp {
  private run = 0;

  constructor(private readonly tracer: Tracer) {}

  private span(name: string, parent: Context, start: number, attributes: Attributes, kind = SpanKind.INTERNAL): { span: Span; context: Context } {
    const span = this.tracer.startSpan(name, { kind, startTime: start, attributes }, parent);
    return { span, context: trace.setSpan(parent, span) };
  }

  /** Records one joke workflow run. */
  record(): void {
    const run = this.run++;
    const topic = JOKE_TOPICS[run % JOKE_TOPICS.length];
    const customer = CUSTOMERS[run % CUSTOMERS.length];
    const clock = new Timeline(Date.now() - 4000);
    const respan: Attributes = {
      'respan.customer_params.customer_identifier': customer.id,
      'respan.customer_params.name': customer.name,
      'respan.customer_params.email': customer.email,
      'respan.threads.thread_identifier': `thread_${customer.id}_${Math.floor(run / 4)}`,
      'respan.trace.trace_group_identifier': 'joke-experiments',
      'respan.environment': 'development',
      'respan.metadata.run': run,
      'respan.metadata.topic': topic,
    };

    const workflow = this.span('joke_workflow.workflow', context.active(), clock.now, {
      ...respan,
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.name': 'joke_workflow',
      'traceloop.workflow.name': 'joke_workflow',
      'traceloop.entity.input': JSON.stringify({ args: [topic], kwargs: { audience: 'developers' } }),
      'respan.entity.log_method': 'ts_tracing',
      ...codeLocation(),
    });

    // Task 1: write the joke with a chat model.
    const jokeStart = clock.advance(5);
    const joke = `Why did the ${topic} engineer bring a ladder? Because the spans were nested too deep.`;
    const creation = this.span('joke_creation.task', workflow.context, jokeStart, {
      ...respan,
      'traceloop.span.kind': 'task',
      'traceloop.entity.name': 'joke_creation',
      'traceloop.entity.path': 'joke_workflow',
      'traceloop.workflow.name': 'joke_workflow',
      'traceloop.entity.input': JSON.stringify({ args: [topic], kwargs: {} }),
    });
    const chat = this.span(
      'openai.chat',
      creation.context,
      clock.advance(3),
      {
        ...respan,
        ...chatAttributes(
          'gpt-4o-mini',
          'openai',
          [
            ['system', 'You are a witty assistant who writes one-line programming jokes.'],
            ['user', `Tell me a joke about ${topic}.`],
          ],
          joke,
          [38 + run, 24],
        ),
        'gen_ai.usage.cost': 0.000021,
        'llm.is_streaming': false,
      },
      SpanKind.CLIENT,
    );
    chat.span.end(clock.advance(820 + (run % 5) * 90));
    creation.span.setAttribute('traceloop.entity.output', JSON.stringify(joke));
    creation.span.end(clock.advance(4));

    // Task 2: an embedding of the joke, as a retrieval step would do.
    const embed = this.span(
      'openai.embeddings',
      workflow.context,
      clock.advance(2),
      {
        'llm.request.type': 'embedding',
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.usage.input_tokens': 21,
        'gen_ai.prompt.0.content': joke,
      },
      SpanKind.CLIENT,
    );
    embed.span.end(clock.advance(140));

    // Task 3: translate with an Anthropic model, new OTel GenAI message attributes.
    const translate = this.span('pirate_translation.task', workflow.context, clock.advance(3), {
      'traceloop.span.kind': 'task',
      'traceloop.entity.name': 'pirate_translation',
      'traceloop.entity.path': 'joke_workflow',
      'traceloop.entity.input': JSON.stringify({ args: [joke], kwargs: { style: 'pirate' } }),
    });
    const pirate = `Arr, why did the ${topic} buccaneer haul a ladder aboard? The spans be nested too deep, matey!`;
    const claude = this.span(
      'anthropic.chat',
      translate.context,
      clock.advance(2),
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
        'gen_ai.response.model': 'claude-3-5-sonnet-20241022',
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Translate into pirate speak. Keep the punchline.' }]),
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: joke }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: pirate }], finish_reason: 'end_turn' }]),
        'gen_ai.usage.input_tokens': 52,
        'gen_ai.usage.output_tokens': 31,
        'gen_ai.usage.cache_read_input_tokens': 12,
        prompt_unit_price: 3,
        completion_unit_price: 15,
      },
      SpanKind.CLIENT,
    );
    claude.span.end(clock.advance(1100));
    translate.span.setAttribute('traceloop.entity.output', JSON.stringify(pirate));
    translate.span.end(clock.advance(2));

    // A nested agent that decides to call a tool.
    const agent = this.span('audience_research.agent', workflow.context, clock.advance(4), {
      'traceloop.span.kind': 'agent',
      'traceloop.entity.name': 'audience_research',
      'traceloop.entity.path': 'joke_workflow',
    });
    const plan = this.span(
      'openai.chat',
      agent.context,
      clock.advance(2),
      {
        ...chatAttributes('gpt-4o', 'openai', [['user', `Who laughs at jokes about ${topic}?`]], '', [64, 18]),
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.tool_calls.0.id': `call_${run}`,
        'gen_ai.completion.0.tool_calls.0.name': 'web_search',
        'gen_ai.completion.0.tool_calls.0.arguments': JSON.stringify({ query: `${topic} developer humor`, limit: 3 }),
        'llm.request.functions.0.name': 'web_search',
        'llm.request.functions.0.description': 'Search the web and return the top results.',
        'llm.request.functions.0.parameters': JSON.stringify({ type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query'] }),
      },
      SpanKind.CLIENT,
    );
    plan.span.end(clock.advance(640));
    const tool = this.span('web_search.tool', agent.context, clock.advance(2), {
      'traceloop.span.kind': 'tool',
      'traceloop.entity.name': 'web_search',
      'traceloop.entity.path': 'joke_workflow.audience_research',
      'traceloop.entity.input': JSON.stringify({ args: [], kwargs: { query: `${topic} developer humor`, limit: 3 } }),
      'traceloop.entity.output': JSON.stringify(['Backend engineers', 'SREs on call', 'Anyone who has read a stack trace at 3am']),
    });
    tool.span.end(clock.advance(310));
    agent.span.end(clock.advance(3));

    // A task that fails, the way a real one does: with an exception event and an error status.
    const signature = this.span('signature_generation.task', workflow.context, clock.advance(2), {
      'traceloop.span.kind': 'task',
      'traceloop.entity.name': 'signature_generation',
      'traceloop.entity.path': 'joke_workflow',
      ...codeLocation(),
    });
    const error = new Error(`rate limit exceeded for model gpt-4o (run ${run})`);
    error.name = 'RateLimitError';
    signature.span.recordException(error, clock.advance(55));
    signature.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    signature.span.end(clock.advance(1));

    workflow.span.setAttribute('traceloop.entity.output', JSON.stringify({ joke, pirate }));
    workflow.span.end(clock.advance(6));
  }
}

function exporterFor(baseUrl: string, run: number) {
  // Alternate the two encodings and paths real SDKs use, so the demo exercises both receivers.
  return run % 2 === 0
    ? new OtlpProtoExporter({ url: `${baseUrl}/v1/traces` })
    : new OtlpJsonExporter({ url: `${baseUrl}/api/v2/traces`, headers: { Authorization: 'Bearer demo-key' } });
}

/** Starts the demo: one run at once, then one every `intervalMs`. */
export function startDemo(options: DemoOptions): DemoHandle {
  const providers = [0, 1].map(
    (variant) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({
          'service.name': variant === 0 ? 'joke-agent' : 'joke-agent-python-style',
          'service.version': '1.4.0',
          'telemetry.sdk.language': 'nodejs',
        }),
        spanProcessors: [new BatchSpanProcessor(exporterFor(options.baseUrl, variant), { scheduledDelayMillis: 200 })],
      }),
  );
  const apps = providers.map((provider) => new DemoApp(provider.getTracer('respan-inspector-demo', '0.1.0')));
  let runs = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const tick = async () => {
    const index = runs % providers.length;
    apps[index].record();
    runs++;
    await providers[index].forceFlush();
    if (options.runs !== undefined && runs >= options.runs) {
      clearInterval(timer);
      await Promise.all(providers.map((provider) => provider.forceFlush()));
      resolveDone();
    }
  };
  const safeTick = () => void tick().catch(() => undefined);
  safeTick();
  timer = setInterval(safeTick, options.intervalMs ?? 5000);
  timer.unref();

  return {
    done,
    async stop() {
      clearInterval(timer);
      await Promise.all(providers.map((provider) => provider.shutdown()));
    },
  };
}
