/**
 * A user's agent traced with the real `@keywordsai/tracing` (the JS SDK under
 * Respan's former name) and its OpenAI instrumentation around the real
 * `openai` client pointed at the fake provider. The SDK posts OTLP protobuf to
 * `{base}/api/v1/traces`; the base URL is given with `/api`, as the README says.
 * Inside a workflow carrying customer, thread and metadata
 * (`withKeywordsAISpanAttributes`):
 *   - task `plan`: a chat that calls the `get_weather` tool, the tool, and a
 *     second chat with the tool's result;
 *   - task `doomed`: a chat the provider rejects (the prompt says so), the
 *     rejection failing the task.
 * Run as a child process (it installs global OpenTelemetry state):
 *   tsx test/support/keywordsAiSender.ts <inspectorUrl> <providerUrl>
 * The SDK logs to stdout; the trace id is printed as `TRACE_ID=<id>`.
 */
import { KeywordsAITelemetry } from '@keywordsai/tracing';
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import { KEYWORDSAI_IDENTITY, QUESTION, REJECTED_PROMPT, TOOL_NAME, TOOL_RESULT, WEATHER_TOOL } from './agentScenario';

async function main(inspectorUrl: string, providerUrl: string): Promise<void> {
  const keywordsAi = new KeywordsAITelemetry({
    apiKey: 'kwai-test-key-0123456789',
    baseURL: `${inspectorUrl}/api`,
    appName: 'keywordsai-agent',
    instrumentModules: { openAI: OpenAI },
    silenceInitializationMessage: true,
  });
  await keywordsAi.initialize();
  const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });

  let traceId = '';
  await keywordsAi.withWorkflow({ name: 'support_workflow' }, async () => {
    traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
    await keywordsAi.withKeywordsAISpanAttributes(
      async () => {
        await keywordsAi.withTask({ name: 'plan' }, async () => {
          const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: QUESTION }];
          const first = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
          const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
          const result = await keywordsAi.withTool({ name: TOOL_NAME }, async () => TOOL_RESULT);
          messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: result });
          await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
        });
        await keywordsAi
          .withTask({ name: 'doomed' }, async () => {
            await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: REJECTED_PROMPT }] });
          })
          .catch(() => undefined);
      },
      { customer_identifier: KEYWORDSAI_IDENTITY.customer, thread_identifier: KEYWORDSAI_IDENTITY.thread, metadata: { ...KEYWORDSAI_IDENTITY.metadata } },
    );
  });
  await keywordsAi.shutdown();
  process.stdout.write(`TRACE_ID=${traceId}\n`);
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
