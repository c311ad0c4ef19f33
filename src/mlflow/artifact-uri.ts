/**
 * Where an artifact's bytes are served. Open-source `mlflow server --serve-artifacts` (and the
 * emulator) give runs `mlflow-artifacts:/<experiment>/<run>/artifacts` URIs and proxy the bytes at
 * `/api/2.0/mlflow-artifacts/artifacts/<same path>` on the tracking server itself; that is the one
 * scheme the two have in common, so it is the one the client reads and writes. A workspace's
 * `dbfs:/databricks/mlflow-tracking/…` URIs need the credentials-for-read/-write signed-URL flow
 * (reference §5), which is not implemented: such a URI fails non-retryably with a message saying so.
 */
import { DatabricksApiError } from '../databricks/errors.js';

export const ARTIFACTS_PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/** `a/b c/d.json` → `a/b%20c/d.json`, refusing empty, `.` and `..` segments. */
export function encodeArtifactPath(relative: string): string {
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
  return segments.map(encodeURIComponent).join('/');
}

/** The proxy path (on the tracking host) of `relative` under the artifact root `artifactUri`. */
export function proxyPathFor(artifactUri: string, relative: string): string {
  // `mlflow-artifacts:/1/abc/artifacts`, or with an authority: `mlflow-artifacts://host:5000/1/abc/…`.
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!match) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1] ?? 'a local path';
    throw new DatabricksApiError(
      `artifact URI ${artifactUri} uses ${scheme}; Lakeloop reads only mlflow-artifacts:/ (proxied) ` +
        'artifacts. Databricks-hosted artifacts need the credentials-for-read flow, not implemented.',
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
