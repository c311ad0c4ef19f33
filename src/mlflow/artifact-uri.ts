/**
 * Where an artifact's bytes are served, decided by the run's artifact root URI:
 *
 *  - `mlflow-artifacts:/<experiment>/<run>/artifacts` (open-source `mlflow server --serve-artifacts`,
 *    the emulator's default): proxied at `/api/2.0/mlflow-artifacts/artifacts/<same path>` on the
 *    tracking server itself, with the bearer token.
 *  - `dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts` (a Databricks workspace, the
 *    emulator's `--mlflow-artifact-mode dbfs`), and any other remote scheme (`s3:`, `abfss:`, `gs:`…):
 *    through `/api/2.0/mlflow/artifacts/credentials-for-read` (`-write`), which returns a signed URL per
 *    path, then a plain request to that URL without the token (reference §5). A server that has no
 *    such endpoint (open-source MLflow without --serve-artifacts) fails UNSUPPORTED_ARTIFACT_URI.
 *  - A local path or `file:` URI lives on the tracking server's own disk and nothing serves it
 *    remotely: UNSUPPORTED_ARTIFACT_URI at once, non-retryable.
 */
import { DatabricksApiError } from '../databricks/errors.js';

export const ARTIFACTS_PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/** `a//b c/d.json/` → `['a', 'b c', 'd.json']`, refusing `.` and `..` segments. */
function artifactSegments(relative: string): string[] {
  const segments = relative.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new DatabricksApiError(
      `artifact path ${JSON.stringify(relative)} may not contain . or ..`,
      'invalid-request',
      0,
      'INVALID_PARAMETER_VALUE',
      false,
    );
  }
  return segments;
}

/** `a/b c/d.json` → `a/b%20c/d.json`, refusing empty, `.` and `..` segments. */
export function encodeArtifactPath(relative: string): string {
  return artifactSegments(relative).map(encodeURIComponent).join('/');
}

/** `/a//b/` → `a/b` (the form credentials-for-read takes), refusing `.` and `..` segments. */
export function normalizeArtifactPath(relative: string): string {
  return artifactSegments(relative).join('/');
}

/** True for `mlflow-artifacts:` URIs, whose bytes the tracking server proxies. */
export function isProxiedArtifactUri(artifactUri: string): boolean {
  return /^mlflow-artifacts:/i.test(artifactUri);
}

/**
 * Checks that `artifactUri` (not proxied) can be read through credentials-for-read: it names a remote
 * store (`dbfs:/…`, `s3://…`), not a path on the tracking server's disk.
 */
export function requireSignedUrlAccess(artifactUri: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'file') return;
  throw new DatabricksApiError(
    `artifact URI ${artifactUri} is ${scheme ? 'a file: URI' : 'a local path'} on the tracking server; ` +
      'Lakeloop reads mlflow-artifacts:/ (proxied) artifacts and, through credentials-for-read, ' +
      'workspace (dbfs:/) ones.',
    'invalid-request',
    0,
    'UNSUPPORTED_ARTIFACT_URI',
    false,
  );
}

/** The proxy path (on the tracking host) of `relative` under the artifact root `artifactUri`. */
export function proxyPathFor(artifactUri: string, relative: string): string {
  // `mlflow-artifacts:/1/abc/artifacts`, or with an authority: `mlflow-artifacts://host:5000/1/abc/…`.
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!match) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1] ?? 'a local path';
    throw new DatabricksApiError(
      `artifact URI ${artifactUri} uses ${scheme}, not mlflow-artifacts:/; it has no proxy path`,
      'invalid-request',
      0,
      'UNSUPPORTED_ARTIFACT_URI',
      false,
    );
  }
  const root = encodeArtifactPath(match[1]!);
  const rest = encodeArtifactPath(relative);
  return `${ARTIFACTS_PROXY}/${[root, rest].filter(Boolean).join('/')}`;
}

/** `root` + `/` + `relative`, for the `uri` a caller can show or store. */
export function joinArtifactUri(root: string, relative: string): string {
  const tail = relative.replace(/^\/+/, '');
  return tail ? `${root.replace(/\/+$/, '')}/${tail}` : root;
}
