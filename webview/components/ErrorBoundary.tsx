/**
 * Keeps a failure in one part of the UI (a bug meeting span content it did not
 * expect) from blanking the rest: the part that threw while rendering is
 * replaced by a message naming the error, as text.
 */

import { Component, type ComponentChildren } from 'preact';

/** Longest error message shown, in characters (it may quote span content). */
const MAX_MESSAGE = 500;

/** Props of {@link ErrorBoundary}. */
export interface ErrorBoundaryProps {
  /** Which part this is (`waterfall`, `span details`, a section's title), for assistive technology and tests. */
  part: string;
  /**
   * What to render. A function is called inside the boundary, so what it
   * computes is guarded too (JSX children are evaluated by the parent first).
   */
  children: ComponentChildren | (() => ComponentChildren);
  /** When this changes, a failed part is rendered again (another span, fresh data). */
  resetKey?: unknown;
  /** Called once per failure, e.g. to forget saved state that would replay it. */
  onError?(error: unknown): void;
}

interface ErrorBoundaryState {
  /** The message of the error that replaced the part, if any. */
  failure?: string;
}

/** Renders its children, or in their place the message of the error they threw. */
export class ErrorBoundary extends Component<ErrorBoundaryProps, ErrorBoundaryState> {
  static override getDerivedStateFromError(error: unknown): ErrorBoundaryState {
    return { failure: messageOf(error) };
  }

  override componentDidCatch(error: unknown): void {
    console.error(`respan inspector: the ${this.props.part} could not be shown`, error);
    this.props.onError?.(error);
  }

  override componentDidUpdate(previous: ErrorBoundaryProps): void {
    if (this.state.failure !== undefined && previous.resetKey !== this.props.resetKey) this.setState({ failure: undefined });
  }

  override render() {
    const { failure } = this.state;
    if (failure === undefined) {
      const { children } = this.props;
      return typeof children === 'function' ? <Rendered render={children as () => ComponentChildren} /> : children;
    }
    return (
      <div class="part-error" role="alert" data-testid="part-error" data-part={this.props.part}>
        <i class="codicon codicon-warning" aria-hidden="true" /> This section could not be shown: {failure}
      </div>
    );
  }
}

/** Calls `render` as a component of its own, below the boundary. */
function Rendered({ render }: { render: () => ComponentChildren }) {
  return <>{render()}</>;
}

function messageOf(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    text = 'an unprintable error';
  }
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
