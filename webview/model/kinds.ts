/** Display kinds in the UI. Pure, DOM-free. The icon table itself is shared with the VS Code tree. */

export { kindInfo } from '../../src/protocol/kinds';

/** Kinds whose detail view leads with the LLM conversation. */
export function isLlmKind(kind: string): boolean {
  return kind === 'llm' || kind === 'embedding';
}
