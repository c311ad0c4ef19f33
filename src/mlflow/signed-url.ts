/**
 * One signed artifact URL from `credentials-for-read` / `-write` (reference §5). The URL is a
 * credential (its query string authorizes the transfer, with no bearer token), and so may be the
 * headers sent with it: both are readable for the one request that uses them, but this object never
 * serializes or prints them (JSON, `util.inspect`, string conversion all redact), so one that ends up
 * in a log line, an activity result or an error detail leaks nothing.
 */
import { inspect } from 'node:util';

export class SignedArtifactUrl {
  readonly #signedUri: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(
    readonly runId: string,
    /** Relative to the run's artifact root, e.g. `model/model.json`. */
    readonly path: string,
    signedUri: string,
    headers: ReadonlyArray<{ name: string; value: string }>,
    /** AWS_PRESIGNED_URL, AZURE_SAS_URI, GCP_SIGNED_URL, AZURE_ADLS_GEN2_SAS_URI. */
    readonly type: string,
  ) {
    this.#signedUri = signedUri;
    this.#headers = Object.freeze(Object.fromEntries(headers.map((h) => [h.name, h.value])));
  }

  /** The URL to GET (or PUT); send it with `headers` and without the workspace token. */
  get signedUri(): string {
    return this.#signedUri;
  }

  /** The headers the workspace said to send with the request (and no others of ours but user-agent). */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  toJSON(): Record<string, unknown> {
    return { runId: this.runId, path: this.path, type: this.type, signedUri: '[redacted]' };
  }

  toString(): string {
    return `SignedArtifactUrl(${this.path}, ${this.type})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
