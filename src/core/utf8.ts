/**
 * UTF-8 bytes to text, the WHATWG way (malformed sequences become U+FFFD, a
 * byte-order mark is kept as text, like Node's `Buffer#toString`).
 */

import * as protobuf from 'protobufjs/light';

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}

/*
 * `TextDecoder` is in every runtime core runs in (Node, browsers, VS Code's
 * extension host) but not in core's ES2022 lib, which leaves out the DOM.
 */
const { TextDecoder } = globalThis as unknown as { TextDecoder: new (label: 'utf-8', options: { ignoreBOM: boolean }) => Utf8Decoder };
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Short ASCII is cheaper through protobufjs's JavaScript reader than through a native call. */
const SHORT_ASCII = 64;

/** The text of the UTF-8 `bytes[start, end)`; `ascii` says no byte is above 0x7f. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length, ascii = false): string {
  if (ascii && end - start <= SHORT_ASCII) return protobuf.util.utf8.read(bytes, start, end);
  return decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
}
