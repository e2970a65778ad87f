/**
 * Forwarding captured spans to the Respan API (WIRE.md §5): what is sent
 * (filter, redaction, OTLP or ingest encoding, preview) and the delivery queue.
 * Hosts create a {@link Forwarder} with their transport, clock and timers.
 */

export * from './destination';
export * from './filter';
export * from './forwarder';
export * from './ingestEncode';
export * from './payload';
export * from './redact';
export * from './retry';
export * from './secrets';
