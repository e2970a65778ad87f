/**
 * A model call whose SDK recorded no content, in real Chromium against the
 * standalone command: the Conversation section says so and names the setting,
 * instead of showing an empty box. Screenshots land in test-results/screenshots/.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/conversation-not-recorded.test.ts
 */

import assert from 'node:assert/strict';
import { hexId, openTrace, openUi, postOtlp, screenshotThemes, useInspectorInChromium } from './support';

const TRACE_ID = 'e'.repeat(32);

/** What `@opentelemetry/instrumentation-openai` sends with its defaults: model and usage, no messages. */
function silentChatRequest(): unknown[] {
  const start = 1_700_000_000_000n * 1_000_000n;
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
  return [
    {
      resourceSpans: [
        {
          resource: { attributes: [text('service.name', 'silent-app')] },
          scopeSpans: [
            {
              scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: hexId(1),
                  name: 'chat gpt-4o-mini',
                  kind: 3,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + 800_000_000n),
                  attributes: [
                    text('gen_ai.operation.name', 'chat'),
                    text('gen_ai.request.model', 'gpt-4o-mini'),
                    text('gen_ai.system', 'openai'),
                    int('gen_ai.usage.input_tokens', 31),
                    int('gen_ai.usage.output_tokens', 12),
                  ],
                  status: {},
                },
              ],
            },
          ],
        },
      ],
    },
  ];
}

describe('conversation of a model call without content, in Chromium', function () {
  this.timeout(120_000);
  const session = useInspectorInChromium((url) => postOtlp(url, silentChatRequest()));

  it('says the SDK recorded no content and names the setting that records it', async () => {
    const { page } = await openUi(session, { width: 1400, height: 860 });
    await openTrace(page, TRACE_ID);
    await page.locator('.wf-row', { hasText: 'chat gpt-4o-mini' }).click();
    const note = page.getByTestId('content-not-recorded');
    await note.waitFor();
    const text = await note.innerText();
    assert.ok(text.includes('OpenTelemetry GenAI instrumentation'), text);
    assert.ok(text.includes('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true'), text);
    assert.equal(await page.getByTestId('conversation').locator('.messages').count(), 0, 'no empty message box');
    await screenshotThemes(page, session.shots, 'conversation-not-recorded');
    await page.close();
  });
});
