/**
 * Cost in the UI, in real Chromium against the real standalone command: an
 * estimate is marked `≈` in the list and the details, with its price per
 * million tokens and the table it came from; a reported cost is shown as it
 * is; an unknown model says so; the list sorts by cost and filters by a
 * minimum. Screenshots land in test-results/screenshots/.
 */

import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openUi, screenshotThemes, useInspectorInChromium } from './support';

/** Respan ingest spans of three traces: an estimated call with cached input, a reported cost, an unknown model. */
function ingestItems(): unknown[] {
  const at = (second: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, second)).toISOString();
  const trace = (id: string, name: string, second: number, llm: Record<string, unknown>) => [
    { trace_unique_id: id, span_unique_id: `${id}-root`, span_name: name, log_type: 'workflow', start_time: at(second), timestamp: at(second + 2) },
    { trace_unique_id: id, span_unique_id: `${id}-llm`, span_parent_id: `${id}-root`, span_name: 'openai.chat', log_type: 'chat', provider_id: 'openai', start_time: at(second), timestamp: at(second + 1), ...llm },
  ];
  return [
    ...trace('estimated', 'estimated call', 1, { model: 'gpt-4o-2024-08-06', usage: { prompt_tokens: 20_000, completion_tokens: 1000, prompt_tokens_details: { cached_tokens: 12_000 } } }),
    ...trace('reported', 'reported call', 2, { model: 'gpt-4o', usage: { prompt_tokens: 10, completion_tokens: 10 }, cost: 5 }),
    ...trace('unknown', 'unknown model call', 3, { model: 'acme-llm-1', usage: { prompt_tokens: 10, completion_tokens: 10 } }),
  ];
}

describe('cost in the UI (Chromium)', function () {
  this.timeout(120_000);
  let page: Page;
  const session = useInspectorInChromium(async (url) => {
    const response = await fetch(`${url}/api/v1/traces/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ingestItems()) });
    assert.equal(response.status, 200);
  });

  before(async () => {
    ({ page } = await openUi(session, { width: 1400, height: 860 }));
    await page.locator('.trace-item', { hasText: 'unknown model call' }).waitFor();
  });

  const rowNames = () => page.locator('.trace-item .trace-name').allInnerTexts();

  it('marks an estimate ≈ in the list, and shows a reported cost as reported', async () => {
    // gpt-4o: 8,000 uncached at $2.50, 12,000 cached at $1.25, 1,000 out at $10 per 1M tokens.
    assert.equal(await page.locator('.trace-item', { hasText: 'estimated call' }).getByTestId('trace-cost').innerText(), '≈$0.045');
    assert.equal(await page.locator('.trace-item', { hasText: 'reported call' }).getByTestId('trace-cost').innerText(), '$5.00');
    assert.equal(await page.locator('.trace-item', { hasText: 'unknown model call' }).getByTestId('trace-cost').count(), 0);
  });

  it('keeps the cost on the line a long model name shares with it, cutting the name instead', async () => {
    const row = page.locator('.trace-item', { hasText: 'estimated call' });
    const facts = (await row.locator('.trace-row-facts').boundingBox())!;
    const cost = (await row.getByTestId('trace-cost').boundingBox())!;
    // Facts that do not fit wrap onto a hidden second line.
    assert.ok(cost.y + cost.height <= facts.y + facts.height, `the cost is on the hidden line: ${JSON.stringify({ facts, cost })}`);
    assert.ok(cost.x + cost.width <= facts.x + facts.width);
  });

  it('sorts the list costliest first and filters it by a minimum cost', async () => {
    assert.deepEqual(await rowNames(), ['unknown model call', 'reported call', 'estimated call']);
    await page.getByTestId('toggle-filters').click();
    await page.getByTestId('sort').selectOption('cost');
    await page.waitForFunction(() => document.querySelector('.trace-item .trace-name')?.textContent === 'reported call');
    assert.deepEqual(await rowNames(), ['reported call', 'estimated call', 'unknown model call']);
    assert.equal(await page.getByTestId('list-status').innerText(), '3 traces, costliest first');
    await page.getByTestId('filter-min-cost').fill('0.01');
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 2);
    assert.deepEqual(await rowNames(), ['reported call', 'estimated call']);
    await page.getByTestId('filter-min-cost').fill('');
    await page.getByTestId('sort').selectOption('newest');
    await page.getByTestId('toggle-filters').click();
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 3);
  });

  it('shows an estimate’s price per million tokens of each partition and the table it came from', async () => {
    await page.locator('.trace-item', { hasText: 'estimated call' }).click();
    await page.locator('.wf-row', { hasText: 'openai.chat' }).click();
    assert.equal(await page.getByTestId('span-cost').innerText(), '≈$0.045');
    const breakdown = page.getByTestId('cost-breakdown');
    assert.match(await breakdown.getByTestId('cost-row-input').innerText(), /8,000\s+\$2\.50\s+\$0\.02/);
    assert.match(await breakdown.getByTestId('cost-row-cacheRead').innerText(), /12,000\s+\$1\.25\s+\$0\.015/);
    assert.match(await breakdown.getByTestId('cost-row-output').innerText(), /1,000\s+\$10\.00\s+\$0\.01/);
    assert.match(await page.getByTestId('cost-source').innerText(), /Estimated with genai-prices \d+\.\d+\.\d+ \(bundled\) · OpenAI gpt-4o/);
    await screenshotThemes(page, session.shots, 'cost-estimate');
  });

  it('says when no price is known for a model', async () => {
    await page.locator('.trace-item', { hasText: 'unknown model call' }).click();
    await page.locator('.wf-row', { hasText: 'openai.chat' }).click();
    assert.match(await page.getByTestId('span-cost-note').innerText(), /no price known for model "acme-llm-1" \(provider "openai"\)/);
    assert.equal(await page.getByTestId('cost-section').count(), 0);
  });
});
