/**
 * A user's program on the Vercel AI SDK with Respan's own exporter
 * (`@keywordsai/exporter-vercel`), set up as Respan's docs say: the exporter
 * as the trace exporter of a registered tracer provider (what `@vercel/otel`'s
 * `registerOTel({ traceExporter })` does: a batch processor), telemetry on per
 * call, the customer in the telemetry metadata. The model is
 * `@ai-sdk/openai` talking to the fake provider; one `generateText` call
 * with a tool runs two steps (tool call, then the answer).
 * Run as a child process (it registers global OpenTelemetry state):
 *   tsx test/support/vercelExporterSender.ts <exporterBaseUrl> <openaiBaseUrl>
 * Prints the trace id it produced.
 */
import { trace } from '@opentelemetry/api';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { KeywordsAIExporter } from '@keywordsai/exporter-vercel';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';

/** What the sender's tool answers, for the test to find in the conversation. */
export const WEATHER_RESULT = { city: 'Paris', forecast: 'sunny', celsius: 21 };

/** The customer and metadata the sender puts in the telemetry metadata. */
export const SENDER_METADATA = {
  customer_identifier: 'cus_vercel',
  customer_email: 'ada@example.com',
  customer_name: 'Ada Lovelace',
  plan: 'pro',
};

async function main(exporterBaseUrl: string, openaiBaseUrl: string): Promise<void> {
  const provider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new KeywordsAIExporter({ apiKey: 'test-key', baseUrl: exporterBaseUrl }))],
  });
  provider.register();

  const openai = createOpenAI({ apiKey: 'test-key', baseURL: openaiBaseUrl });
  let traceId = '';
  const result = await generateText({
    model: openai.chat('gpt-4o-mini'),
    system: 'You answer weather questions.',
    prompt: 'What is the weather in Paris?',
    tools: {
      weather: tool({
        description: 'The weather in a city',
        inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
        execute: async () => {
          traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
          return WEATHER_RESULT;
        },
      }),
    },
    stopWhen: stepCountIs(3),
    experimental_telemetry: { isEnabled: true, functionId: 'weather-agent', metadata: SENDER_METADATA },
  });
  if (result.steps.length !== 2) throw new Error(`expected two steps, got ${result.steps.length}`);
  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write(`${traceId}\n`);
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
