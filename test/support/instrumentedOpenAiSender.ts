/**
 * A user's program calling the real `openai` client against the fake OpenAI
 * API, instrumented by one of the real instrumentations as its users set them
 * up, exporting to the inspector. Run as a child process (each installs global
 * OpenTelemetry state):
 *   tsx test/support/instrumentedOpenAiSender.ts <mode> <inspectorUrl> <openaiBaseUrl>
 * Modes:
 * - `traceloop-no-content`: the Traceloop SDK with `traceContent: false`: a
 *   chat completion, and a LangChain tool run (Traceloop's LangChain
 *   instrumentation names it `execute_tool …` and labels it `task`);
 * - `otel-genai`: `@opentelemetry/instrumentation-openai` with its defaults
 *   (no message content): a chat completion and an embedding;
 * - `openinference`: `@arizeai/openinference-instrumentation-openai`: an
 *   embedding and a chat completion (run it with `OPENINFERENCE_HIDE_INPUTS`
 *   and `OPENINFERENCE_HIDE_OUTPUTS` set to see the hidden form).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

type OpenAIModule = typeof import('openai');

function nodeProvider(inspectorUrl: string, service: string): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${inspectorUrl}/v1/traces` }))],
  });
  provider.register();
  return provider;
}

async function chat(openai: OpenAIModule, openaiBaseUrl: string): Promise<void> {
  const client = new openai.OpenAI({ baseURL: openaiBaseUrl, apiKey: 'sk-test-not-a-key' });
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'My password is hunter2' }] });
}

async function embedding(openai: OpenAIModule, openaiBaseUrl: string): Promise<void> {
  const client = new openai.OpenAI({ baseURL: openaiBaseUrl, apiKey: 'sk-test-not-a-key' });
  await client.embeddings.create({ model: 'text-embedding-3-small', input: 'sunny day' });
}

async function traceloopNoContent(inspectorUrl: string, openaiBaseUrl: string): Promise<void> {
  // A short-lived process: LangChain runs its callbacks (where the instrumentation ends its spans) before `invoke` returns, as its docs advise for one.
  process.env.LANGCHAIN_CALLBACKS_BACKGROUND = 'false';
  const traceloop = await import('@traceloop/node-server-sdk');
  const openai = await import('openai');
  traceloop.initialize({
    appName: 'traceloop-no-content',
    apiKey: 'test-key',
    baseUrl: inspectorUrl,
    disableBatch: true,
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
    traceContent: false,
    instrumentModules: { openAI: openai.OpenAI },
  });
  await chat(openai, openaiBaseUrl);
  const { tool } = await import('@langchain/core/tools');
  const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: 'weather',
    description: 'The weather in a city',
    schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  });
  await (weather as unknown as { invoke(input: { city: string }): Promise<string> }).invoke({ city: 'Paris' });
  const { awaitAllCallbacks } = await import('@langchain/core/callbacks/promises');
  await awaitAllCallbacks();
  await traceloop.forceFlush();
}

async function otelGenai(inspectorUrl: string, openaiBaseUrl: string): Promise<void> {
  const provider = nodeProvider(inspectorUrl, 'otel-genai-app');
  const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider: provider });
  // Loaded after the instrumentation is registered, so its require hook patches it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const openai = require('openai') as OpenAIModule;
  await chat(openai, openaiBaseUrl);
  await embedding(openai, openaiBaseUrl);
  await provider.forceFlush();
  await provider.shutdown();
}

async function openInference(inspectorUrl: string, openaiBaseUrl: string): Promise<void> {
  const provider = nodeProvider(inspectorUrl, 'openinference-app');
  const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
  // Without a traceConfig object OpenInference ignores the OPENINFERENCE_HIDE_* variables
  // (generateTraceConfig(undefined) returns the defaults), so pass one, as its docs show.
  const instrumentation = new OpenAIInstrumentation({ traceConfig: {} });
  instrumentation.setTracerProvider(provider);
  const openai = await import('openai');
  instrumentation.manuallyInstrument(openai.OpenAI);
  await embedding(openai, openaiBaseUrl);
  await chat(openai, openaiBaseUrl);
  await provider.forceFlush();
  await provider.shutdown();
}

const MODES: Record<string, (inspectorUrl: string, openaiBaseUrl: string) => Promise<void>> = {
  'traceloop-no-content': traceloopNoContent,
  'otel-genai': otelGenai,
  openinference: openInference,
};

const [mode, inspectorUrl, openaiBaseUrl] = process.argv.slice(2);
const send = MODES[mode];
if (send === undefined) {
  process.stderr.write(`unknown mode ${mode}; one of ${Object.keys(MODES).join(', ')}\n`);
  process.exit(2);
}
send(inspectorUrl, openaiBaseUrl).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
