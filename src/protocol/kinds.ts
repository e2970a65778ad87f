/**
 * How each display kind looks: the codicon and label shared by the inspector
 * UI and the VS Code Traces view, so a span reads the same in both.
 */

import type { DisplayKind } from '../core/model';

/** Codicon name (without the `codicon-` prefix) and label of a display kind. */
export interface KindInfo {
  icon: string;
  label: string;
}

/** Every display kind's icon and label. */
export const KIND_INFO: Readonly<Record<DisplayKind, KindInfo>> = {
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

/** Icon and label of a display kind; unknown kinds (from a newer listener) read as a plain span. */
export function kindInfo(kind: string): KindInfo {
  return (KIND_INFO as Record<string, KindInfo | undefined>)[kind] ?? KIND_INFO.span;
}
