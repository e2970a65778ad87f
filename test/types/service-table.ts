// Compile-time checks of the service table: scripts/typecheck.mjs compiles
// this file (it is never run). Each `@ts-expect-error` must meet an error:
// were the table loosened so the line compiled, the unused directive would
// fail the type check instead.
import type { ServiceCall, ServiceHandlers } from '../../src/protocol/service';

/** A handler answering another shape than its entry's result. */
export const wrongResult: Pick<ServiceHandlers, 'getFacets'> = {
  // @ts-expect-error getFacets must answer FacetsJson
  getFacets: async () => ({ services: 'not a list' }),
};

/** A handler of a request the table does not have. */
export const unknownRequest: Partial<ServiceHandlers> = {
  // @ts-expect-error there is no request getEverything
  getEverything: async () => ({}),
};

/** Typed calls with wrong parameters or a misread result. */
export async function wrongCalls(call: ServiceCall): Promise<void> {
  // @ts-expect-error getTrace needs a traceId
  await call('getTrace', {});
  const list = await call('listTraces', { query: { errors: true } });
  // @ts-expect-error a trace list has no spans
  void list.spans;
}
