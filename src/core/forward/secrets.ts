/**
 * Keeps API keys out of every message the forwarder produces. Transports,
 * servers and error objects are not trusted to leave a key out of their text,
 * so every message passes through one scrubber before anyone sees it.
 */

/** What stands in for a key that was found in a message. */
export const HIDDEN_KEY = '[api key hidden]';

/**
 * The shortest run of a key's characters hidden wherever it appears. Not only
 * the whole key and its prefixes: a text can be cut at either end by code we
 * do not control (the server, a proxy, a library, a log line), so any run of
 * this many characters of a key is hidden. Eight characters of a random key
 * are worth hiding; a shorter run (a key's public prefix such as `sk-`) is not,
 * and hiding it would blank ordinary words.
 */
export const MIN_HIDDEN_KEY_RUN = 8;

/** Replaces known keys, any run of {@link MIN_HIDDEN_KEY_RUN} or more of their characters, and anything that looks like a bearer token, in text. */
export class SecretScrubber {
  /** Keys shorter than a run, hidden only whole. */
  private readonly shortSecrets = new Set<string>();
  /** Every run of {@link MIN_HIDDEN_KEY_RUN} characters of every key this scrubber was told about: a replaced key must stay hidden too. */
  private readonly runs = new Set<string>();

  /** Adds a secret to hide from now on. */
  add(secret: string | undefined): void {
    if (!secret) return;
    if (secret.length < MIN_HIDDEN_KEY_RUN) this.shortSecrets.add(secret);
    for (let at = 0; at + MIN_HIDDEN_KEY_RUN <= secret.length; at++) this.runs.add(secret.slice(at, at + MIN_HIDDEN_KEY_RUN));
  }

  /** `text` with every known secret, every run of one, and every `Bearer <token>` replaced. */
  scrub(text: string): string {
    let out = this.hideRuns(text);
    for (const secret of this.shortSecrets) {
      if (out.includes(secret)) out = out.split(secret).join(HIDDEN_KEY);
    }
    return out.replace(/(Bearer\s+)(?!\[api key hidden\])[^\s"',;]+/gi, `$1${HIDDEN_KEY}`);
  }

  /** `text` with each stretch covered by overlapping or touching runs of a key replaced by one {@link HIDDEN_KEY}. */
  private hideRuns(text: string): string {
    if (this.runs.size === 0) return text;
    let out = '';
    let copiedTo = 0;
    let stretchStart = -1;
    let stretchEnd = -1;
    for (let at = 0; at + MIN_HIDDEN_KEY_RUN <= text.length; at++) {
      if (!this.runs.has(text.slice(at, at + MIN_HIDDEN_KEY_RUN))) continue;
      if (at > stretchEnd) {
        if (stretchStart >= 0) {
          out += `${text.slice(copiedTo, stretchStart)}${HIDDEN_KEY}`;
          copiedTo = stretchEnd;
        }
        stretchStart = at;
      }
      stretchEnd = at + MIN_HIDDEN_KEY_RUN;
    }
    if (stretchStart < 0) return text;
    return `${out}${text.slice(copiedTo, stretchStart)}${HIDDEN_KEY}${text.slice(stretchEnd)}`;
  }
}
