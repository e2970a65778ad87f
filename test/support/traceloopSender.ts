/**
 * A user's program instrumented with the real Traceloop SDK, pointed at the
 * inspector by its base URL: a workflow with two tasks and an agent with a tool.
 * Run as a child process (the SDK installs global OpenTelemetry state):
 *   tsx test/support/traceloopSender.ts <baseUrl>
 * Prints the trace id it produced.
 */
import * as traceloop from '@traceloop/node-server-sdk';
import { trace } from '@opentelemetry/api';

async function main(baseUrl: string): Promise<void> {
  traceloop.initialize({
    appName: 'traceloop-sender',
    apiKey: 'test-key',
    baseUrl,
    disableBatch: true,
    silenceInitializationMessage: true,
    traceloopSyncEnabled: false,
  });
  let traceId = '';
  await traceloop.withWorkflow({ name: 'joke_workflow' }, async () => {
    traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
    await traceloop.withTask({ name: 'joke_creation' }, async () => 'Why did the span cross the road?');
    await traceloop.withAgent({ name: 'pirate_agent' }, async () => {
      await traceloop.withTool({ name: 'translate' }, async () => 'Arr!');
    });
    await traceloop.withTask({ name: 'signature_generation' }, async () => 'signed');
  });
  await traceloop.forceFlush();
  process.stdout.write(`${traceId}\n`);
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
