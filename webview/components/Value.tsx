/** One attribute value, shown as readably as it allows: JSON trees for JSON, folded text for long strings. */

import { useMemo, useState } from 'preact/hooks';
import { parseJsonString } from '../model/attributes';
import { LongText } from './common';
import { JsonScalar, JsonView } from './JsonView';

/** A value; a string holding JSON gets a pretty tree with a raw/pretty toggle. */
export function Value({ value, openDepth = 1 }: { value: unknown; openDepth?: number }) {
  const parsed = useMemo(() => (typeof value === 'string' ? parseJsonString(value) : undefined), [value]);
  const [raw, setRaw] = useState(false);
  if (parsed !== undefined) {
    return (
      <div class="value-json">
        <button type="button" class="link-button value-toggle" onClick={() => setRaw(!raw)} title="Switch between the raw text and a JSON tree">
          {raw ? 'pretty' : 'raw'}
        </button>
        {raw ? <LongText text={value as string} class="code" /> : <JsonView value={parsed} openDepth={openDepth} />}
      </div>
    );
  }
  if (typeof value === 'string') return <LongText text={value} />;
  if (value !== null && typeof value === 'object') return <JsonView value={value} openDepth={openDepth} />;
  return <JsonScalar value={value} />;
}
