/** A key/value table (attributes, parameters) with a copy button per value. */

import { valueToText } from '../model/attributes';
import { CopyButton } from './common';
import { Value } from './Value';

/** A key/value table with a copy button per value. */
export function KeyValues({ entries }: { entries: Array<[string, unknown]> }) {
  return (
    <div class="kv-list">
      {entries.map(([key, value]) => (
        <div class="kv" key={key}>
          <span class="kv-key" title={key}>
            <DottedKey text={key} />
          </span>
          <div class="kv-value">
            <Value value={value} />
          </div>
          <CopyButton text={() => valueToText(value)} what={key} />
        </div>
      ))}
    </div>
  );
}

/** An attribute key that may wrap only after its dots (`gen_ai.<wbr>prompt.<wbr>0`). */
export function DottedKey({ text }: { text: string }) {
  const parts = text.split('.');
  return (
    <>
      {parts.map((part, i) => (
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </span>
      ))}
    </>
  );
}
