// Load for bench/extension-stall.ts, run as its own process (so generating it
// costs the extension host nothing): OTLP/JSON to an inspector at <url>.
//   node bench/stall-load.mjs <url> big <traceIdHex> <spans>     one trace of <spans> spans, sent in batches
//   node bench/stall-load.mjs <url> flood <spansPerSecond> <seconds>   traces of 100 spans at that rate
// Prints one JSON line: spans sent and refused batches.

const [url, mode, first, second] = process.argv.slice(2);
const hex = (n, width) => n.toString(16).padStart(width, '0');
const start = BigInt(Date.now()) * 1_000_000n;

function span(traceId, index, parentIndex) {
  return {
    traceId,
    spanId: hex(index + 1, 16),
    ...(parentIndex === undefined ? {} : { parentSpanId: hex(parentIndex + 1, 16) }),
    name: index === 0 ? 'stall_root' : `step_${index % 50}`,
    kind: 1,
    startTimeUnixNano: String(start + BigInt(index) * 1000n),
    endTimeUnixNano: String(start + BigInt(index) * 1000n + 500_000n),
    attributes: [
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
      { key: 'input.value', value: { stringValue: `request ${index} `.repeat(8) } },
    ],
  };
}

async function post(spans) {
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'stall-bench' } }] }, scopeSpans: [{ spans }] }] });
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.ok;
}

let sent = 0;
let refused = 0;
if (mode === 'big') {
  const traceId = first;
  const total = Number(second);
  for (let from = 0; from < total; from += 5000) {
    const batch = [];
    // A wide, shallow tree: every span under one of the first hundred.
    for (let i = from; i < Math.min(total, from + 5000); i++) batch.push(span(traceId, i, i === 0 ? undefined : i < 100 ? 0 : i % 100));
    if (await post(batch)) sent += batch.length;
    else refused++;
  }
} else {
  const perSecond = Number(first);
  const seconds = Number(second);
  const batchesPerSecond = 20;
  const perBatch = Math.round(perSecond / batchesPerSecond);
  const began = Date.now();
  let trace = 0;
  for (let batchIndex = 0; batchIndex < seconds * batchesPerSecond; batchIndex++) {
    const batch = [];
    while (batch.length < perBatch) {
      const traceId = hex(0xf100000 + trace++, 32);
      for (let i = 0; i < 100 && batch.length < perBatch; i++) batch.push(span(traceId, i, i === 0 ? undefined : 0));
    }
    // Paced to the wall clock, so a slow answer does not lower the rate afterwards.
    const due = began + (batchIndex * 1000) / batchesPerSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    if (await post(batch)) sent += batch.length;
    else refused++;
  }
}
console.log(JSON.stringify({ sent, refused }));
