/**
 * Find in trace: the spans whose name or attribute values match the text,
 * marked in the rows and stepped through with Enter, n and N; `/` anywhere
 * outside a text field jumps to the box.
 */

import type { RefObject, TargetedKeyboardEvent } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { SpanSearch, errorSpans } from '../../model/search';
import type { TraceIndex } from '../../model/traceIndex';
import { Icon } from '../common';

/** The find text and the spans it, and the error status, pick out. */
export interface SpanFind {
  text: string;
  setText(text: string): void;
  /** Matching spans, in tree order. */
  matches: Int32Array;
  /** 1 at each matching span. */
  matchFlags: Uint8Array;
  /** Spans with an error status, in tree order. */
  errors: Int32Array;
}

export function useSpanFind(index: TraceIndex): SpanFind {
  const [text, setText] = useState('');
  const search = useMemo(() => new SpanSearch(index), [index]);
  usePreparedInIdleTime(search);
  const errors = useMemo(() => errorSpans(index), [index]);
  const matches = useMemo(() => search.find(text), [search, text]);
  const matchFlags = useMemo(() => {
    const flags = new Uint8Array(index.count);
    for (const i of matches) flags[i] = 1;
    return flags;
  }, [index, matches]);
  return { text, setText, matches, matchFlags, errors };
}

/** Builds the search's text while the page is idle, a piece per callback, so a find never waits for it at 1,000,000 spans. */
function usePreparedInIdleTime(search: SpanSearch): void {
  useEffect(() => {
    let handle = requestIdleCallback(function step() {
      try {
        if (!search.prepareStep()) handle = requestIdleCallback(step);
      } catch {
        // A span the search cannot read: the find that needs it fails inside the waterfall's part, which shows why.
      }
    });
    return () => cancelIdleCallback(handle);
  }, [search]);
}

/** `/` outside a text field focuses and selects `input`. */
export function useFindShortcut(input: RefObject<HTMLInputElement | null>): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
      event.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

export interface FindBoxProps {
  inputRef: RefObject<HTMLInputElement | null>;
  find: SpanFind;
  /** Position of the selected span among the matches, or -1. */
  matchAt: number;
  /** Moves the selection to the next (1) or previous (-1) match. */
  onStep(direction: 1 | -1): void;
  /** Escape: the find text is cleared and focus goes back to the rows. */
  onDone(): void;
}

export function FindBox({ inputRef, find, matchAt, onStep, onDone }: FindBoxProps) {
  const { text, matches } = find;

  function onKey(event: TargetedKeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      onStep(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      find.setText('');
      onDone();
    }
  }

  return (
    <div class="find-box">
      <Icon name="search" />
      <input
        ref={inputRef}
        type="text"
        placeholder="Find in trace (/)"
        aria-label="Find in trace"
        value={text}
        onInput={(event) => find.setText(event.currentTarget.value)}
        onKeyDown={onKey}
        data-testid="find-input"
      />
      {text.trim() !== '' && (
        <span class={`find-count${matches.length === 0 ? ' none' : ''}`} data-testid="find-count">
          {matches.length === 0 ? 'No results' : matchAt >= 0 ? `${matchAt + 1} of ${matches.length}` : `${matches.length} ${matches.length === 1 ? 'match' : 'matches'}`}
        </span>
      )}
    </div>
  );
}
