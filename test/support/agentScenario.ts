/**
 * The agent the real-SDK senders (`traceloopProvidersSender.ts`,
 * `openInferenceSender.ts`, `keywordsAiSender.ts`) all run, and the identity
 * each one sets: shared with the test that asserts what they sent, without
 * loading the SDKs into the test process.
 */

export const QUESTION = 'What is the weather in Paris?';
/** A prompt the test's fake provider refuses with 400. */
export const REJECTED_PROMPT = 'This request must fail.';
export const TOOL_NAME = 'get_weather';
export const TOOL_RESULT = '{"city":"Paris","forecast":"sunny","celsius":21}';
/** The prompt the agent sends through LangChain. */
export const LANGCHAIN_PROMPT = 'Summarise: sunny, 21 degrees.';

/** The tool the agent offers, in OpenAI's chat completions shape. */
export const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: TOOL_NAME, description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** Traceloop association properties of the workflow. */
export const TRACELOOP_IDENTITY = { customer: 'cus_traceloop', session: 'sess_traceloop' } as const;

/** OpenInference context attributes. */
export const OPENINFERENCE_IDENTITY = { user: 'cus_openinference', session: 'sess_openinference', metadata: { plan: 'pro', seats: 3 } } as const;

/** `@keywordsai/tracing` span attributes of the workflow. */
export const KEYWORDSAI_IDENTITY = { customer: 'cus_keywordsai', thread: 'thr_keywordsai', metadata: { plan: 'pro', seats: 3, regions: ['eu', 'us'] } } as const;
