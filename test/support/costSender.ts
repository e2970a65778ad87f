/**
 * A user's program making one LLM call through a real client library and a
 * real instrumentation, against the fake provider, traced to the inspector.
 * Run as a child process (the instrumentations install global state):
 *   tsx test/support/costSender.ts <scenario> <inspectorUrl> <providerUrl> [model]
 * Prints the trace id it produced.
 *
 * Scenarios:
 * - `openinference-chat`: OpenInference's OpenAI instrumentation, `chat.completions.create`
 *   (it records cached and reasoning tokens);
 * - `traceloop-anthropic`: the Traceloop SDK with its Anthropic instrumentation, `messages.create`;
 * - `otel-embedding`: `@opentelemetry/instrumentation-openai`, `embeddings.create`;
 * - `vercel-stream`: the Vercel AI SDK's `streamText` with `@ai-sdk/openai`.
 */

import { context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { detectResources, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const [scenario, inspectorUrl, providerUrl, model] = process.argv.slice(2);

/** An OTel SDK exporting every span at once to the inspector, with the process's resource (its pid names the run). */
function otelProvider(service: string): NodeTracerProvider {
  const resource = resourceFromAttributes({ 'service.name': service }).merge(detectResources({ detectors: [processDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${inspectorUrl}/v1/traces` }))] });
  provider.register();
  return provider;
}

/** Runs `call` inside a root span and returns the trace id. */
async function underRoot(tracer: Tracer, call: () => Promise<unknown>): Promise<string> {
  const root = tracer.startSpan('cost-scenario');
  await context.with(trace.setSpan(context.active(), root), call);
  root.end();
  return root.spanContext().traceId;
}

async function openInferenceChat(): Promise<string> {
  const provider = otelProvider('openinference-sender');
  const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai') as typeof import('@arizeai/openinference-instrumentation-openai');
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  const openaiModule = require('openai') as typeof import('openai');
  // It patches `module.OpenAI`, which the module has; its declared parameter type is the class.
  instrumentation.manuallyInstrument(openaiModule as unknown as Parameters<typeof instrumentation.manuallyInstrument>[0]);
  const client = new openaiModule.OpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });
  const traceId = await underRoot(provider.getTracer('cost-sender'), () => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Tell me a joke about spans.' }] }));
  await provider.forceFlush();
  await provider.shutdown();
  return traceId;
}

async function traceloopAnthropic(): Promise<string> {
  const traceloop = require('@traceloop/node-server-sdk') as typeof import('@traceloop/node-server-sdk');
  const anthropicModule = require('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk');
  traceloop.initialize({
    appName: 'traceloop-anthropic-sender',
    apiKey: 'test-key',
    baseUrl: inspectorUrl,
    disableBatch: true,
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
    instrumentModules: { anthropic: anthropicModule },
  });
  const client = new anthropicModule.Anthropic({ apiKey: 'sk-ant-test', baseURL: providerUrl });
  let traceId = '';
  await traceloop.withWorkflow({ name: 'cached_prompt' }, async () => {
    traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
    await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Tell me a joke about caches.' }] });
  });
  await traceloop.forceFlush();
  return traceId;
}

async function otelEmbedding(): Promise<string> {
  const provider = otelProvider('otel-openai-sender');
  const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai') as typeof import('@opentelemetry/instrumentation-openai');
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider: provider });
  // Required after the instrumentation is registered, so its hook patches the module.
  const openaiModule = require('openai') as typeof import('openai');
  const client = new openaiModule.OpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });
  const traceId = await underRoot(provider.getTracer('cost-sender'), () => client.embeddings.create({ model, input: 'spans cross the road to reach the other trace' }));
  await provider.forceFlush();
  await provider.shutdown();
  return traceId;
}

async function vercelStream(): Promise<string> {
  const provider = otelProvider('vercel-sender');
  const { streamText } = require('ai') as typeof import('ai');
  const { createOpenAI } = require('@ai-sdk/openai') as typeof import('@ai-sdk/openai');
  const openai = createOpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });
  const traceId = await underRoot(provider.getTracer('cost-sender'), async () => {
    const result = streamText({ model: openai.chat(model), prompt: 'Tell me a joke about streams.', experimental_telemetry: { isEnabled: true } });
    for await (const piece of result.textStream) void piece;
  });
  await provider.forceFlush();
  await provider.shutdown();
  return traceId;
}

const SCENARIOS: Record<string, () => Promise<string>> = {
  'openinference-chat': openInferenceChat,
  'traceloop-anthropic': traceloopAnthropic,
  'otel-embedding': otelEmbedding,
  'vercel-stream': vercelStream,
};

const run = SCENARIOS[scenario];
if (!run) {
  process.stderr.write(`unknown scenario ${scenario}; one of ${Object.keys(SCENARIOS).join(', ')}\n`);
  process.exit(2);
}
run().then(
  (traceId) => process.stdout.write(`${traceId}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
