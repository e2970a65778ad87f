/**
 * Provider names as senders spell them, read into the price table's provider
 * ids. OTel GenAI (`gen_ai.provider.name`, older `gen_ai.system`), Traceloop
 * (`gen_ai.system: "OpenAI"`), OpenInference (`llm.provider`, `llm.system`),
 * Respan (`provider_id`) and the Vercel AI SDK (`openai.chat`,
 * `anthropic.messages`) all name the same few providers differently.
 */

/** Every spelling (lowercase) → the price table's provider id. */
const PROVIDER_IDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    openai: 'openai',
    anthropic: 'anthropic',
    // Azure's table falls back to OpenAI's and Anthropic's models, at Azure's prices where they differ.
    azure: 'azure',
    'azure.ai.openai': 'azure',
    'az.ai.openai': 'azure',
    'azure.ai.inference': 'azure',
    'az.ai.inference': 'azure',
    azure_openai: 'azure',
    'azure-openai': 'azure',
    azureopenai: 'azure',
    google: 'google',
    gemini: 'google',
    'gcp.gemini': 'google',
    'gcp.gen_ai': 'google',
    'gcp.vertex_ai': 'google',
    vertex_ai: 'google',
    vertexai: 'google',
    'vertex-ai': 'google',
    google_genai: 'google',
    'aws.bedrock': 'aws',
    bedrock: 'aws',
    aws: 'aws',
    mistral: 'mistral',
    mistral_ai: 'mistral',
    mistralai: 'mistral',
    groq: 'groq',
    deepseek: 'deepseek',
    xai: 'x-ai',
    x_ai: 'x-ai',
    'x-ai': 'x-ai',
    cohere: 'cohere',
    perplexity: 'perplexity',
    together: 'together',
    together_ai: 'together',
    togetherai: 'together',
    fireworks: 'fireworks',
    fireworks_ai: 'fireworks',
    openrouter: 'openrouter',
    cerebras: 'cerebras',
    moonshot: 'moonshotai',
    moonshotai: 'moonshotai',
  }),
);

/**
 * The price table's provider id for a sender's provider name, or undefined
 * when it names none the table knows (then the model name decides). A dotted
 * name not in the table is read by its first part, so the Vercel AI SDK's
 * `openai.chat` and `anthropic.messages` are OpenAI and Anthropic.
 */
export function priceProviderOf(provider: string | undefined): string | undefined {
  if (provider === undefined) return undefined;
  const name = provider.trim().toLowerCase();
  return PROVIDER_IDS.get(name) ?? PROVIDER_IDS.get(name.split('.')[0]);
}

/**
 * A model named with its provider in front (`openai/gpt-4o`, as LiteLLM and
 * OpenRouter-style routers write it): the provider id and the bare model.
 * Undefined when the prefix names no provider the table knows.
 */
export function splitProviderPrefix(model: string): { provider: string; model: string } | undefined {
  const slash = model.indexOf('/');
  if (slash <= 0 || slash === model.length - 1) return undefined;
  const provider = priceProviderOf(model.slice(0, slash));
  return provider === undefined ? undefined : { provider, model: model.slice(slash + 1) };
}
