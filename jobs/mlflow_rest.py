"""A minimal MLflow REST client for the demo jobs: Python 3 standard library only.

Connection: DATABRICKS_HOST and DATABRICKS_TOKEN, as a Databricks job gets them (and as the
Lakeloop emulator's spark_python_task passes them). Open-source `mlflow server` ignores the token.

Artifacts: a run's artifact_uri decides where bytes go.
  * mlflow-artifacts:/<exp>/<run>/artifacts  (open-source `mlflow server --serve-artifacts`, the
    emulator's default): PUT/GET /api/2.0/mlflow-artifacts/artifacts/<same path> on the tracking host.
  * dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts  (a Databricks workspace's run artifacts,
    the emulator's --mlflow-artifact-mode dbfs): as MLflow 3's DatabricksRunArtifactRepository does,
    through the Files API at /api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/<exp>/Runs/<run>/…
    (mlflow/store/artifact/databricks_run_artifact_repo.py), falling back, as it does, to
    /api/2.0/mlflow/artifacts/credentials-for-write (or -read) and a PUT (GET) of the signed URL it
    returns. The signed URL is a credential: it is never printed, and the workspace token is never
    sent to it.
  * other dbfs:/…  paths: through the /dbfs FUSE mount every cluster has.
"""

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

API = "/api/2.0/mlflow"
ARTIFACTS_PROXY = "/api/2.0/mlflow-artifacts/artifacts"
RETRY_STATUSES = {429, 500, 502, 503, 504}
FILES_API = "/api/2.0/fs/files"
# dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts[/<path>]
WORKSPACE_RUN_ARTIFACTS = re.compile(r"^dbfs:/databricks/mlflow-tracking/([^/]+)/([^/]+)/artifacts(?:/(.*))?$")


class MlflowError(Exception):
    def __init__(self, status, error_code, message):
        super().__init__(f"{error_code} (HTTP {status}): {message}")
        self.status = status
        self.error_code = error_code


class Mlflow:
    def __init__(self, host=None, token=None, timeout=30):
        self.host = (host or os.environ.get("DATABRICKS_HOST", "")).rstrip("/")
        if not self.host:
            raise SystemExit("DATABRICKS_HOST is not set")
        if not self.host.startswith("http"):
            self.host = "https://" + self.host
        self.token = token if token is not None else os.environ.get("DATABRICKS_TOKEN", "")
        self.timeout = timeout

    # -- transport ---------------------------------------------------------------------------------

    def _send(self, method, path, body=None, content_type=None, query=None, with_headers=False):
        url = self.host + path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        headers = {"User-Agent": "lakeloop-demo-job/0.1"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(4):
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    data = response.read()
                    return (data, response.headers) if with_headers else data
            except urllib.error.HTTPError as error:
                payload = error.read()
                if error.code in RETRY_STATUSES and attempt < 3:
                    time.sleep(min(2**attempt, 8))
                    continue
                try:
                    parsed = json.loads(payload)
                    code, message = parsed.get("error_code", f"HTTP_{error.code}"), parsed.get("message", "")
                except ValueError:
                    code, message = f"HTTP_{error.code}", payload[:300].decode("utf8", "replace")
                raise MlflowError(error.code, code, message) from None
            except urllib.error.URLError:
                if attempt < 3:
                    time.sleep(min(2**attempt, 8))
                    continue
                raise

    def call(self, method, endpoint, params=None, prefix=API):
        """A JSON call to <prefix>/<endpoint>: GET params go in the query, others in the body."""
        if method == "GET":
            raw = self._send("GET", f"{prefix}/{endpoint}", query=params or {})
        else:
            body = json.dumps(params or {}).encode("utf8")
            raw = self._send(method, f"{prefix}/{endpoint}", body=body, content_type="application/json")
        return json.loads(raw) if raw else {}

    def get_run_with_headers(self, run_id):
        """runs/get, with the response headers (a workspace names itself in x-databricks-org-id)."""
        raw, headers = self._send("GET", f"{API}/runs/get", query={"run_id": run_id}, with_headers=True)
        return json.loads(raw)["run"], headers

    # -- tracking ----------------------------------------------------------------------------------

    def experiment_id(self, name):
        """The id of experiment `name`, created when missing."""
        try:
            return self.call("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"][
                "experiment_id"
            ]
        except MlflowError as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            return self.call("POST", "experiments/create", {"name": name})["experiment_id"]
        except MlflowError as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            # Created concurrently by another job.
            return self.call("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"][
                "experiment_id"
            ]

    def create_run(self, experiment_id, run_name, tags=None):
        body = {
            "experiment_id": experiment_id,
            "run_name": run_name,
            "start_time": int(time.time() * 1000),
            "tags": [{"key": k, "value": str(v)} for k, v in (tags or {}).items()],
        }
        return self.call("POST", "runs/create", body)["run"]

    def log_batch(self, run_id, metrics=(), params=(), tags=()):
        """Logs in chunks within MLflow's batch limits (1,000 metrics, 100 params, 100 tags)."""
        metrics, params, tags = list(metrics), list(params), list(tags)
        while metrics or params or tags:
            self.call(
                "POST",
                "runs/log-batch",
                {"run_id": run_id, "metrics": metrics[:900], "params": params[:50], "tags": tags[:50]},
            )
            metrics, params, tags = metrics[900:], params[50:], tags[50:]

    def finish_run(self, run_id, status="FINISHED"):
        self.call("POST", "runs/update", {"run_id": run_id, "status": status, "end_time": int(time.time() * 1000)})

    # -- artifacts ---------------------------------------------------------------------------------

    def _artifact_target(self, artifact_uri, relative):
        """('proxy', path) for mlflow-artifacts URIs, ('workspace', (Files API path, run_id, path)) for a
        workspace's run artifacts, ('file', path) for other dbfs:/ paths on a cluster."""
        relative = relative.strip("/")
        if artifact_uri.startswith("mlflow-artifacts:"):
            rest = artifact_uri[len("mlflow-artifacts:") :]
            if rest.startswith("//"):
                rest = rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
            parts = [p for p in (rest.strip("/") + "/" + relative).split("/") if p]
            if any(p in (".", "..") for p in parts):
                raise ValueError(f"invalid artifact path {relative!r}")
            return "proxy", ARTIFACTS_PROXY + "/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)
        workspace_run = WORKSPACE_RUN_ARTIFACTS.match(artifact_uri.rstrip("/"))
        if workspace_run:
            experiment, run_id = workspace_run.group(1), workspace_run.group(2)
            parts = [p for p in ((workspace_run.group(3) or "") + "/" + relative).split("/") if p]
            if not parts or any(p in (".", "..") for p in parts):
                raise ValueError(f"invalid artifact path {relative!r}")
            files_path = f"/WorkspaceInternal/Mlflow/Artifacts/{experiment}/Runs/{run_id}/artifacts/" + "/".join(
                urllib.parse.quote(p, safe="") for p in parts
            )
            return "workspace", (files_path, run_id, "/".join(parts))
        if artifact_uri.startswith("dbfs:/") and os.path.isdir("/dbfs"):
            return "file", os.path.join("/dbfs", artifact_uri[len("dbfs:/") :], relative)
        raise SystemExit(f"cannot store artifacts at {artifact_uri}: need mlflow-artifacts:/ or dbfs:/ on a cluster")

    def _signed_transfer(self, method, run_id, path, data=None):
        """PUT (GET) one run artifact through the signed URL credentials-for-write (-read) returns."""
        endpoint = "artifacts/credentials-for-write" if method == "PUT" else "artifacts/credentials-for-read"
        infos = self.call("POST", endpoint, {"run_id": run_id, "path": [path]}).get("credential_infos") or []
        if not infos:
            raise MlflowError(200, "NO_CREDENTIALS", f"the workspace returned no signed URL for {path}")
        return self.presigned_request(method, infos[0]["signed_uri"], infos[0].get("headers"), data, path)

    def presigned_request(self, method, url, headers, data=None, label=""):
        """A GET or PUT of a presigned URL with only the headers the workspace returned ([{name, value}]):
        never our Authorization header. The URL is a credential: no message quotes it."""
        sent = {h["name"]: h.get("value", "") for h in headers or []}
        sent.setdefault("User-Agent", "lakeloop-demo-job/0.1")
        if data is not None:
            sent.setdefault("Content-Type", "application/octet-stream")
        for attempt in range(4):
            request = urllib.request.Request(url, data=data, method=method, headers=sent)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                error.read()
                if error.code in RETRY_STATUSES and attempt < 3:
                    time.sleep(min(2**attempt, 8))
                    continue
                # The status only: the URL (its query string is the credential) and the body stay out.
                raise MlflowError(error.code, f"HTTP_{error.code}", f"{method} of {label} via its signed URL") from None
            except urllib.error.URLError as error:
                if attempt < 3:
                    time.sleep(min(2**attempt, 8))
                    continue
                message = f"{method} of {label} via its signed URL: {error.reason}"
                raise MlflowError(0, "NETWORK_ERROR", message) from None

    def upload_artifact(self, artifact_uri, relative, data):
        kind, target = self._artifact_target(artifact_uri, relative)
        if kind == "proxy":
            self._send("PUT", target, body=data, content_type="application/octet-stream")
        elif kind == "workspace":
            files_path, run_id, path = target
            try:
                self._send(
                    "PUT",
                    FILES_API + files_path,
                    body=data,
                    content_type="application/octet-stream",
                    query={"overwrite": "true"},
                )
            except MlflowError:
                # MLflow's DatabricksTrackingArtifactRepository falls back the same way.
                self._signed_transfer("PUT", run_id, path, data=data)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)

    def download_artifact(self, artifact_uri, relative):
        kind, target = self._artifact_target(artifact_uri, relative)
        if kind == "proxy":
            return self._send("GET", target)
        if kind == "workspace":
            files_path, run_id, path = target
            try:
                return self._send("GET", FILES_API + files_path)
            except MlflowError:
                return self._signed_transfer("GET", run_id, path)
        with open(target, "rb") as handle:
            return handle.read()


def write_task_output(result):
    """One JSON line to LAKELOOP_TASK_OUTPUT (the emulator's notebook_output.result); stdout always."""
    line = json.dumps(result, sort_keys=True)
    print(line)
    target = os.environ.get("LAKELOOP_TASK_OUTPUT")
    if target:
        with open(target, "a") as handle:
            handle.write(line + "\n")
