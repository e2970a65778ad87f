/**
 * A user's program instrumented with the OpenTelemetry GenAI instrumentation
 * (`@opentelemetry/instrumentation-openai`) around the real `openai` client,
 * talking to the fake provider: an agent span over a chat call that offers a
 * tool, a follow-up call with the tool's result, and a Responses API call
 * (whose messages come as `gen_ai.client.inference.operation.details` events
 * with structured attributes). Spans go over OTLP/gRPC,
 * the instrumentation's message events over OTLP/HTTP logs, as with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` set. Nothing is exported until the end, then
 * the two providers are flushed in the order asked, each flush waiting for
 * the inspector's answer: so logs reach it before or after their spans.
 * Run as a child process (the instrumentation patches `openai` globally):
 *   OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true \
 *   tsx test/support/genaiSender.ts <grpcEndpoint> <httpUrl> <openaiBaseUrl> <logs-first|spans-first>
 * Prints the trace id.
 */
import { context, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type OpenAIClient from 'openai';

/** Long enough that nothing is exported before the explicit flushes. */
const HOLD_MS = 600_000;

async function main(grpcEndpoint: string, httpUrl: string, openaiBaseUrl: string, order: string): Promise<void> {
  const resource = resourceFromAttributes({ 'service.name': 'genai-sender' });
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: grpcEndpoint }), { scheduledDelayMillis: HOLD_MS })],
  });
  tracerProvider.register();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${httpUrl}/v1/logs` }), scheduledDelayMillis: HOLD_MS })],
  });
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider, loggerProvider });
  // Required after the instrumentation is registered, so that it is patched (the hook sees `require`, not `import`).
  const { default: OpenAI } = require('openai') as { default: typeof OpenAIClient };
  const client = new OpenAI({ apiKey: 'test-key', baseURL: openaiBaseUrl });

  const tools = [
    {
      type: 'function' as const,
      function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    },
  ];
  const tracer = tracerProvider.getTracer('genai-sender');
  const agent = tracer.startSpan('weather_agent');
  await context.with(trace.setSpan(context.active(), agent), async () => {
    const messages: OpenAIClient.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You answer weather questions.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    const call = first.choices[0].message.tool_calls![0];
    messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 21, "sky": "clear"}' });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Answer in one line.', input: 'Tell me a joke about traces.' });
  });
  agent.end();

  const flushSpans = () => tracerProvider.forceFlush();
  const flushLogs = () => loggerProvider.forceFlush();
  if (order === 'logs-first') {
    await flushLogs();
    await flushSpans();
  } else {
    await flushSpans();
    await flushLogs();
  }
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
  process.stdout.write(`${agent.spanContext().traceId}\n`);
}

const [grpcEndpoint, httpUrl, openaiBaseUrl, order] = process.argv.slice(2);
main(grpcEndpoint, httpUrl, openaiBaseUrl, order).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
