/** Icons and labels of span display kinds. Pure, DOM-free. */

import type { DisplayKind } from '../../src/core/model';

interface KindInfo {
  /** Codicon name (without the `codicon-` prefix). */
  icon: string;
  label: string;
}

const KINDS: Record<DisplayKind, KindInfo> = {
  workflow: { icon: 'type-hierarchy', label: 'Workflow' },
  task: { icon: 'checklist', label: 'Task' },
  agent: { icon: 'robot', label: 'Agent' },
  tool: { icon: 'tools', label: 'Tool' },
  llm: { icon: 'sparkle', label: 'LLM' },
  embedding: { icon: 'symbol-array', label: 'Embedding' },
  retriever: { icon: 'search', label: 'Retriever' },
  reranker: { icon: 'list-ordered', label: 'Reranker' },
  guardrail: { icon: 'shield', label: 'Guardrail' },
  evaluator: { icon: 'beaker', label: 'Evaluator' },
  chain: { icon: 'link', label: 'Chain' },
  handoff: { icon: 'arrow-swap', label: 'Handoff' },
  session: { icon: 'comment-discussion', label: 'Session' },
  http: { icon: 'globe', label: 'HTTP' },
  database: { icon: 'database', label: 'Database' },
  messaging: { icon: 'mail', label: 'Messaging' },
  span: { icon: 'symbol-event', label: 'Span' },
};

/** Icon and label of a display kind; unknown kinds (newer servers) fall back to a plain span. */
export function kindInfo(kind: string): KindInfo {
  return (KINDS as Record<string, KindInfo | undefined>)[kind] ?? KINDS.span;
}

/** Kinds whose detail view leads with the LLM conversation. */
export function isLlmKind(kind: string): boolean {
  return kind === 'llm' || kind === 'embedding';
}
