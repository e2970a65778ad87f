/**
 * A collapsible JSON tree. Values are untrusted and rendered as text nodes
 * only; large arrays and objects show their first entries with "show more".
 */

import { useState } from 'preact/hooks';
import { Icon, LongText } from './common';

/** Children shown before "show more". */
const PAGE = 100;

/** A JSON value as a tree, open down to `openDepth` levels. */
export function JsonView({ value, openDepth = 2 }: { value: unknown; openDepth?: number }) {
  return (
    <div class="json-view" role="tree">
      <JsonNode value={value} depth={0} openDepth={openDepth} />
    </div>
  );
}

function JsonNode({ name, value, depth, openDepth }: { name?: string; value: unknown; depth: number; openDepth: number }) {
  const [open, setOpen] = useState(depth < openDepth);
  const [shown, setShown] = useState(PAGE);
  const label = name !== undefined && <span class="json-key">{name}: </span>;

  if (value === null || typeof value !== 'object') {
    return (
      <div class="json-row" role="treeitem">
        <span class="json-toggle-spacer" />
        {label}
        <JsonScalar value={value} />
      </div>
    );
  }

  const isArray = Array.isArray(value);
  const entries: Array<[string, unknown]> = isArray ? (value as unknown[]).map((item, i) => [String(i), item]) : Object.entries(value as object);
  const summary = isArray ? `Array(${entries.length})` : `{${entries.length} ${entries.length === 1 ? 'key' : 'keys'}}`;
  if (entries.length === 0) {
    return (
      <div class="json-row" role="treeitem">
        <span class="json-toggle-spacer" />
        {label}
        <span class="json-punct">{isArray ? '[]' : '{}'}</span>
      </div>
    );
  }
  return (
    <div class="json-node" role="treeitem" aria-expanded={open}>
      <div class="json-row json-branch" onClick={() => setOpen(!open)}>
        <Icon name={open ? 'chevron-down' : 'chevron-right'} class="json-toggle" />
        {label}
        <span class="json-summary">{open ? (isArray ? '[' : '{') : summary}</span>
      </div>
      {open && (
        <div class="json-children" role="group">
          {entries.slice(0, shown).map(([key, child]) => (
            <JsonNode key={key} name={key} value={child} depth={depth + 1} openDepth={openDepth} />
          ))}
          {entries.length > shown && (
            <button type="button" class="link-button" onClick={() => setShown(shown + PAGE * 10)}>
              Show {Math.min(PAGE * 10, entries.length - shown)} more of {entries.length - shown}
            </button>
          )}
          <div class="json-row">
            <span class="json-toggle-spacer" />
            <span class="json-punct">{isArray ? ']' : '}'}</span>
          </div>
        </div>
      )}
    </div>
  );
}

/** A JSON scalar, colour-coded by type; strings keep their quotes (so `"1"` and `1` differ) and their line breaks. */
export function JsonScalar({ value }: { value: unknown }) {
  if (typeof value === 'string') {
    return (
      <span class="json-string">
        <LongText text={`"${value}"`} limit={400} class="inline" />
      </span>
    );
  }
  if (typeof value === 'number' || typeof value === 'bigint') return <span class="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span class="json-boolean">{String(value)}</span>;
  if (value === null) return <span class="json-null">null</span>;
  return <span class="json-null">{String(value)}</span>;
}
