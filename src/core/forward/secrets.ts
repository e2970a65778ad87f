/**
 * Keeps API keys out of every message the forwarder produces. Transports,
 * servers and error objects are not trusted to leave a key out of their text,
 * so every message passes through one scrubber before anyone sees it.
 */

/** What stands in for a key that was found in a message. */
export const HIDDEN_KEY = '[api key hidden]';

/** Replaces known keys, and anything that looks like a bearer token, in text. */
export class SecretScrubber {
  /** Every key this scrubber was told about: a replaced key must stay hidden too. */
  private readonly secrets = new Set<string>();

  /** Adds a secret to hide from now on. */
  add(secret: string | undefined): void {
    if (secret) this.secrets.add(secret);
  }

  /** `text` with every known secret and every `Bearer <token>` replaced. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(HIDDEN_KEY);
    }
    return out.replace(/(Bearer\s+)(?!\[api key hidden\])[^\s"',;]+/gi, `$1${HIDDEN_KEY}`);
  }
}
