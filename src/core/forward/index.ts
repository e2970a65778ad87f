/**
 * Forwarding captured spans to the Respan API (WIRE.md §5): what is sent
 * (filter, redaction, OTLP or ingest encoding, preview), and how it is
 * delivered: the ledger, the queue and the transport a {@link Forwarder}
 * composes. Hosts create a Forwarder with their transport, clock and timers.
 */

export * from './destination';
export * from './filter';
export * from './forwarder';
export * from './ingestEncode';
export * from './ledger';
export * from './payload';
export * from './queue';
export * from './redact';
export * from './retry';
export * from './secrets';
export * from './transport';
export * from './wakeTimer';
