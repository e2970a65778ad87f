/**
 * The span details in real Chromium against the standalone command: where
 * each Respan field came from, metadata the SDK wrote as JSON text shown
 * decoded, and which span's usage the trace total leaves out because a span
 * below it reports the same call.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/span-identity.test.ts
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hexId, openTrace, openUi, postOtlp, useInspectorInChromium } from './support';

const TRACE_ID = 'c7'.repeat(16);

type OtlpValue = { stringValue: string } | { intValue: string };
const text = (key: string, value: string) => ({ key, value: { stringValue: value } as OtlpValue });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } as OtlpValue });

/** Traceloop's span of an Anthropic call over the SDK's own span of it, under a workflow carrying customer and session. */
function tracedTwice(): unknown {
  const nanos = (ms: number) => String(BigInt(Date.now() + ms) * 1_000_000n);
  const usage = [int('gen_ai.usage.input_tokens', 100), int('gen_ai.usage.output_tokens', 47)];
  const spans = [
    {
      spanId: hexId(0xc71),
      name: 'support_workflow.workflow',
      startTimeUnixNano: nanos(0),
      endTimeUnixNano: nanos(90),
      attributes: [
        text('traceloop.span.kind', 'workflow'),
        text('traceloop.association.properties.user_id', 'acme'),
        text('gen_ai.conversation.id', 'conv-7'),
        text('keywordsai.metadata.plan', '"pro"'),
        text('keywordsai.metadata.seats', '3'),
      ],
    },
    { spanId: hexId(0xc72), parentSpanId: hexId(0xc71), name: 'anthropic.chat', startTimeUnixNano: nanos(10), endTimeUnixNano: nanos(80), attributes: [text('gen_ai.system', 'anthropic'), text('gen_ai.request.model', 'claude-sonnet-4-5'), ...usage] },
    { spanId: hexId(0xc73), parentSpanId: hexId(0xc72), name: 'messages.create', startTimeUnixNano: nanos(20), endTimeUnixNano: nanos(70), attributes: [text('gen_ai.system', 'anthropic'), text('gen_ai.request.model', 'claude-sonnet-4-5'), ...usage] },
  ].map((span) => ({ traceId: TRACE_ID, kind: 1, status: {}, ...span }));
  return { resourceSpans: [{ resource: { attributes: [text('service.name', 'identity-agent')] }, scopeSpans: [{ scope: { name: 'browser-test' }, spans }] }] };
}

describe('span details in Chromium: identity sources and usage counted once', function () {
  this.timeout(180_000);
  const session = useInspectorInChromium((url) => postOtlp(url, [tracedTwice()]));

  async function select(page: Page, name: string): Promise<string> {
    await page.locator('.wf-row', { hasText: name }).click();
    await page.locator('.details-title', { hasText: name }).waitFor();
    return page.getByTestId('span-details').innerText();
  }

  it('says where the customer and thread came from, shows metadata decoded, and which usage the total leaves out', async () => {
    const { page } = await openUi(session, { width: 1400, height: 860 });
    await openTrace(page, TRACE_ID);
    await page.locator('.wf-row').first().waitFor();

    await select(page, 'support_workflow.workflow');
    assert.equal(await page.getByTestId('respan-customerIdentifier').innerText(), 'customer\nacme (from traceloop.association.properties.user_id)');
    assert.equal(await page.getByTestId('respan-threadIdentifier').innerText(), 'thread\nconv-7 (from gen_ai.conversation.id)');
    const metadata = await page.getByTestId('respan-metadata').innerText();
    assert.match(metadata, /plan\s+pro/);
    assert.match(metadata, /seats\s+3/);
    assert.doesNotMatch(metadata, /"pro"/);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(session.shots, 'respan-fields-sources-light.png') });

    const outer = await select(page, 'anthropic.chat');
    assert.match(outer, /100 in · 47 out · 147 total · not in the trace total: another span reports the same call/);
    const inner = await select(page, 'messages.create');
    assert.match(inner, /100 in · 47 out · 147 total/);
    assert.equal(await page.getByTestId('tokens-not-in-total').count(), 0);
    // The list counts the call once.
    assert.match(await page.locator(`.trace-item[data-trace-id="${TRACE_ID}"]`).innerText(), /147/);
    assert.doesNotMatch(await page.locator(`.trace-item[data-trace-id="${TRACE_ID}"]`).innerText(), /294/);

    await select(page, 'anthropic.chat');
    await page.screenshot({ path: join(session.shots, 'usage-counted-once-light.png') });
    await page.close();
  });
});
