/**
 * A user's program on the Vercel AI SDK (`ai` with `@ai-sdk/openai`) with
 * `experimental_telemetry` on, exported by a plain OpenTelemetry
 * NodeTracerProvider and OTLP/HTTP protobuf exporter, talking to the fake
 * OpenAI API. Run as a child process (it registers the global tracer provider):
 *   tsx test/support/aiSdkSender.ts <inspectorUrl> <openaiBaseUrl>
 * Calls, each under its own function id: a generateText that calls a tool over
 * two steps (`weather-bot`), a streamText (`joker`), an embed (`embedder`), and
 * a generateText with recordInputs/recordOutputs off (`secret-bot`). Prints
 * `{functionId: traceId}` as JSON.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';

/** Notes the trace id of each function id's spans, so the test can find the traces. */
class TraceIdsByFunction implements SpanProcessor {
  readonly traces: Record<string, string> = {};
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    const functionId = span.attributes['ai.telemetry.functionId'];
    if (typeof functionId === 'string') this.traces[functionId] = span.spanContext().traceId;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function main(inspectorUrl: string, openaiBaseUrl: string): Promise<void> {
  const traceIds = new TraceIdsByFunction();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'ai-sdk-app' }),
    spanProcessors: [traceIds, new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${inspectorUrl}/v1/traces` }))],
  });
  provider.register();
  const openai = createOpenAI({ baseURL: openaiBaseUrl, apiKey: 'sk-test-not-a-key' });

  const weather = tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async ({ city }) => ({ city, forecast: 'sunny', celsius: 21 }),
  });
  await generateText({
    model: openai.chat('gpt-4o-mini'),
    system: 'You are terse.',
    prompt: 'Weather in Paris?',
    tools: { weather },
    stopWhen: stepCountIs(3),
    temperature: 0.2,
    maxOutputTokens: 200,
    topP: 0.9,
    experimental_telemetry: { isEnabled: true, functionId: 'weather-bot', metadata: { plan: 'pro' } },
  });

  const stream = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'Tell a joke', experimental_telemetry: { isEnabled: true, functionId: 'joker' } });
  for await (const _chunk of stream.textStream);

  await embed({ model: openai.embedding('text-embedding-3-small'), value: 'sunny day', experimental_telemetry: { isEnabled: true, functionId: 'embedder' } });

  await generateText({
    model: openai.chat('gpt-4o-mini'),
    prompt: 'My password is hunter2',
    experimental_telemetry: { isEnabled: true, functionId: 'secret-bot', recordInputs: false, recordOutputs: false },
  });

  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify(traceIds.traces)}\n`);
}

main(process.argv[2], process.argv[3]).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
