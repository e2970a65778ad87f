/**
 * A user's agent instrumented with the real Traceloop SDK and its OpenAI,
 * Anthropic and LangChain instrumentations (`instrumentModules`), calling the
 * real `openai`, `@anthropic-ai/sdk` and `@langchain/openai` clients pointed at
 * the fake provider, inside a workflow with association properties:
 *   - task `plan`: an OpenAI chat that calls the `get_weather` tool, the tool
 *     (a Traceloop tool span), and a second chat with the tool's result;
 *   - agent `writer`: an Anthropic message, and one the provider rejects;
 *   - task `summarise`: a LangChain ChatOpenAI call;
 *   - task `stream`: a streamed OpenAI chat;
 *   - task `embed`: an OpenAI embeddings call;
 *   - task `doomed`: an OpenAI chat the provider rejects (the prompt says
 *     so), the rejection failing the task.
 * Run as a child process (the SDK installs global OpenTelemetry state):
 *   tsx test/support/traceloopProvidersSender.ts <inspectorUrl> <providerUrl>
 * Prints the trace id it produced as `TRACE_ID=<id>`.
 */
import * as anthropicModule from '@anthropic-ai/sdk';
import * as callbackManagerModule from '@langchain/core/callbacks/manager';
import { ChatOpenAI } from '@langchain/openai';
import { trace } from '@opentelemetry/api';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { LANGCHAIN_PROMPT, QUESTION, REJECTED_PROMPT, TOOL_NAME, TOOL_RESULT, TRACELOOP_IDENTITY, WEATHER_TOOL } from './agentScenario';

async function main(inspectorUrl: string, providerUrl: string): Promise<void> {
  traceloop.initialize({
    appName: 'traceloop-providers',
    apiKey: 'test-key',
    baseUrl: inspectorUrl,
    disableBatch: true,
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
    instrumentModules: { openAI: OpenAI, anthropic: anthropicModule, langchain: true },
  });
  // The LangChain instrumentation patches the CommonJS callback manager at start; this one is the module LangChain uses here.
  void callbackManagerModule;
  const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${providerUrl}/v1` });
  const anthropic = new anthropicModule.Anthropic({ apiKey: 'sk-ant-test', baseURL: providerUrl });
  const langchain = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-test', configuration: { baseURL: `${providerUrl}/v1` } });

  let traceId = '';
  await traceloop.withWorkflow(
    { name: 'support_workflow', associationProperties: { customer_id: TRACELOOP_IDENTITY.customer, session_id: TRACELOOP_IDENTITY.session } },
    async () => {
      traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
      await traceloop.withTask({ name: 'plan' }, async () => {
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: QUESTION }];
        const first = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
        const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
        const result = await traceloop.withTool({ name: TOOL_NAME }, async () => TOOL_RESULT);
        messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: result });
        await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [WEATHER_TOOL] });
      });
      await traceloop.withAgent({ name: 'writer' }, async () => {
        await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Write one line about sunny Paris.' }] });
        await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: REJECTED_PROMPT }] }).catch(() => undefined);
      });
      await traceloop.withTask({ name: 'summarise' }, async () => {
        await langchain.invoke(LANGCHAIN_PROMPT);
      });
      await traceloop.withTask({ name: 'stream' }, async () => {
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Stream a joke.' }], stream: true, stream_options: { include_usage: true } });
        for await (const chunk of stream) void chunk;
      });
      await traceloop.withTask({ name: 'embed' }, async () => {
        await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'sunny Paris' });
      });
      // The rejection propagates out of the task, as in an app that does not handle it there.
      await traceloop
        .withTask({ name: 'doomed' }, async () => {
          await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: REJECTED_PROMPT }] });
        })
        .catch(() => undefined);
    },
  );
  await traceloop.forceFlush();
  process.stdout.write(`TRACE_ID=${traceId}\n`);
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
