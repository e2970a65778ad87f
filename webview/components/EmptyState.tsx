/** What a newcomer sees before any trace arrived: where to send traces, with copy buttons. */

import type { ListenerEndpoints } from '../../src/protocol/messages';
import { CopyButton, Icon } from './common';

export function EmptyState({ endpoints, onImport, canImport }: { endpoints: ListenerEndpoints | null; onImport(): void; canImport: boolean }) {
  const vars = endpoints
    ? [
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoints.otlpEndpoint, who: 'OpenTelemetry SDKs (OTLP/HTTP)' },
        { name: 'RESPAN_BASE_URL', value: endpoints.respanBaseUrl, who: 'Respan SDKs and ingest exporters' },
      ]
    : [];
  return (
    <div class="empty-state" data-testid="empty-state">
      <Icon name="pulse" class="empty-icon" />
      <h2>No traces yet</h2>
      {endpoints ? (
        <>
          <p>Point your app at this inspector by setting one of these environment variables, then run it:</p>
          <div class="env-vars">
            {vars.map((v) => (
              <div class="env-var" key={v.name} data-testid="env-var">
                <code class="env-line">
                  {v.name}={v.value}
                </code>
                <CopyButton text={`${v.name}=${v.value}`} what={v.name} />
                <div class="env-who muted">{v.who}</div>
              </div>
            ))}
          </div>
          <p class="muted">Traces show up here live, as soon as your app sends them.</p>
        </>
      ) : (
        <p>The listener is not running. Start it to receive traces.</p>
      )}
      {canImport && (
        <p>
          <button type="button" class="button secondary" onClick={onImport}>
            <Icon name="cloud-upload" /> Import a trace file
          </button>{' '}
          <span class="muted">or drop an OTLP / Respan JSON file here.</span>
        </p>
      )}
    </div>
  );
}
