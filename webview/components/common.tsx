/** Small building blocks: icons, buttons, copy buttons, collapsible long text. */

import type { ComponentChildren, TargetedMouseEvent } from 'preact';
import { useState } from 'preact/hooks';
import { useServices } from '../context';
import { formatCount } from '../model/format';
import { ErrorBoundary } from './ErrorBoundary';

/** A codicon. Decorative unless given a `title`. */
export function Icon({ name, title, class: extra }: { name: string; title?: string; class?: string }) {
  return <i class={`codicon codicon-${name}${extra ? ` ${extra}` : ''}`} aria-hidden={title ? undefined : 'true'} title={title} />;
}

/** A compact toolbar button with an icon (and optional label). */
export function IconButton(props: {
  icon: string;
  title: string;
  onClick: (event: TargetedMouseEvent<HTMLButtonElement>) => void;
  label?: string;
  active?: boolean;
  disabled?: boolean;
  class?: string;
  testId?: string;
}) {
  return (
    <button
      type="button"
      class={`icon-button${props.active ? ' active' : ''}${props.label ? ' with-label' : ''}${props.class ? ` ${props.class}` : ''}`}
      title={props.title}
      aria-label={props.title}
      aria-pressed={props.active === undefined ? undefined : props.active}
      disabled={props.disabled}
      onClick={props.onClick}
      data-testid={props.testId}
    >
      <Icon name={props.icon} />
      {props.label && <span class="icon-button-label">{props.label}</span>}
    </button>
  );
}

/** Copies `text` (computed lazily, since span JSON can be large) when clicked. */
export function CopyButton({ text, what, label }: { text: string | (() => string); what?: string; label?: string }) {
  const { copy } = useServices();
  return (
    <IconButton
      icon="copy"
      title={`Copy ${what ?? 'value'}`}
      label={label}
      class="copy-button"
      onClick={(event) => {
        // Inside a <summary> a click would also fold the section.
        event.preventDefault();
        event.stopPropagation();
        copy(typeof text === 'function' ? text() : text, what);
      }}
    />
  );
}

/** Characters shown before "Show more" for long texts. */
export const LONG_TEXT_LIMIT = 1200;
const LONG_TEXT_LINES = 16;

/**
 * Untrusted text shown verbatim (whitespace kept, never parsed as HTML or
 * markdown), collapsed to its start when long.
 */
export function LongText({ text, limit = LONG_TEXT_LIMIT, class: extra }: { text: string; limit?: number; class?: string }) {
  const [open, setOpen] = useState(false);
  const cut = open ? -1 : cutPoint(text, limit);
  return (
    <div class={`long-text${extra ? ` ${extra}` : ''}`}>
      <span class="text">{cut < 0 ? text : `${text.slice(0, cut)}…`}</span>
      {cut >= 0 && (
        <button type="button" class="link-button show-more" onClick={() => setOpen(true)}>
          Show more ({formatCount(text.length - cut)} more characters)
        </button>
      )}
      {open && text.length > limit && (
        <button type="button" class="link-button show-more" onClick={() => setOpen(false)}>
          Show less
        </button>
      )}
    </div>
  );
}

/** Where to cut a long text (-1: show all): after `limit` characters or `LONG_TEXT_LINES` lines. */
function cutPoint(text: string, limit: number): number {
  if (text.length <= limit && !hasMoreLines(text, LONG_TEXT_LINES)) return -1;
  let lines = 0;
  for (let i = 0; i < Math.min(text.length, limit); i++) {
    if (text.charCodeAt(i) === 10 && ++lines >= LONG_TEXT_LINES) return i;
  }
  return text.length > limit ? limit : -1;
}

function hasMoreLines(text: string, lines: number): boolean {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) if (++count >= lines) return true;
  return false;
}

/**
 * A section with a clickable header that folds its content (native `<details>`).
 * Its content fails alone (see {@link ErrorBoundary}); give it as a function to
 * guard what computing it may throw too.
 */
export function Section(props: {
  title: ComponentChildren;
  open?: boolean;
  actions?: ComponentChildren;
  children: ComponentChildren | (() => ComponentChildren);
  testId?: string;
  class?: string;
}) {
  return (
    <details class={`section${props.class ? ` ${props.class}` : ''}`} open={props.open ?? true} data-testid={props.testId}>
      <summary>
        <Icon name="chevron-right" class="section-chevron" />
        <span class="section-title">{props.title}</span>
        {props.actions && (
          <span class="section-actions" onClick={(event) => event.preventDefault()}>
            {props.actions}
          </span>
        )}
      </summary>
      <div class="section-body">
        <ErrorBoundary part={props.testId ?? (typeof props.title === 'string' ? props.title : 'section')}>{props.children}</ErrorBoundary>
      </div>
    </details>
  );
}

/** A label/value pair in a facts grid. */
export function Fact({ label, children, title }: { label: string; children: ComponentChildren; title?: string }) {
  return (
    <div class="fact" title={title}>
      <span class="fact-label">{label}</span>
      <span class="fact-value">{children}</span>
    </div>
  );
}
