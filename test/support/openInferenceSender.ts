/**
 * A user's agent traced with OpenInference: the real
 * `@arizeai/openinference-instrumentation-openai` around the real `openai`
 * client pointed at the fake provider, agent/tool spans from
 * `@arizeai/openinference-core`, and the session, user and metadata set with
 * its context setters. Exported by the OTel SDK as OTLP protobuf to
 * `/v1/traces`. The agent:
 *   - asks a chat that calls the `get_weather` tool, runs the tool (a TOOL
 *     span), and asks again with the tool's result;
 *   - streams a chat;
 *   - embeds a text;
 *   - runs a chain whose chat the provider rejects (the prompt says so), the
 *     rejection failing the chain.
 * Run as a child process (it installs global OpenTelemetry state):
 *   tsx test/support/openInferenceSender.ts <inspectorUrl> <providerUrl>
 * Prints the trace id it produced as `TRACE_ID=<id>`.
 */
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { setMetadata, setSession, setUser, traceAgent, traceChain, traceTool } from '@arizeai/openinference-core';
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import OpenAI from 'openai';
import { OPENINFERENCE_IDENTITY, QUESTION, REJECTED_PROMPT, TOOL_NAME, TOOL_RESULT, WEATHER_TOOL } from './agentScenario';

async function main(inspectorUrl: string, providerUrl: string): Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'openinference-agent' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${inspectorUrl}/v1/traces` }))],
  });
  provider.register();
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.manuallyInstrument(OpenAI);
  const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });

  const doomed = traceChain(
    async () => {
      await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: REJECTED_PROMPT }] });
    },
    { name: 'doomed' },
  );
  const getWeather = traceTool(async (city: string) => (city === 'Paris' ? TOOL_RESULT : '{}'), { name: TOOL_NAME });
  let traceId = '';
  const agent = traceAgent(
    async (question: string) => {
      traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
      const first = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
      const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      const result = await getWeather((JSON.parse(call.function.arguments) as { city: string }).city);
      messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: result });
      const answer = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Stream a joke.' }], stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) void chunk;
      await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'sunny Paris' });
      await doomed().catch(() => undefined);
      return answer.choices[0].message.content;
    },
    { name: 'weather_agent' },
  );

  const identified = setMetadata(
    setUser(setSession(context.active(), { sessionId: OPENINFERENCE_IDENTITY.session }), { userId: OPENINFERENCE_IDENTITY.user }),
    OPENINFERENCE_IDENTITY.metadata,
  );
  await context.with(identified, () => agent(QUESTION));
  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write(`TRACE_ID=${traceId}\n`);
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
