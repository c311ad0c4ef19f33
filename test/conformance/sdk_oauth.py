"""The official Databricks SDK for Python authenticates against the emulator with OAuth.

Run by test/emulator/conformance.test.ts against `npm run emulator -- --service-principal ... --federation-policy ...`:
  - oauth-m2m: WorkspaceClient(host, client_id, client_secret, auth_type="oauth-m2m") discovers the token
    endpoint (host metadata, then /oidc/.well-known/oauth-authorization-server), gets a client-credentials
    token and makes Jobs and SCIM calls with it;
  - a wrong secret fails with the OAuth error, without the secret in the message;
  - env-oidc: the SDK exchanges DATABRICKS_OIDC_TOKEN (a JWT from a real IdP) by RFC 8693, for the
    service principal of a federation policy and through an account-wide policy.
Environment: DATABRICKS_HOST, LAKELOOP_SP_ID, LAKELOOP_SP_SECRET, LAKELOOP_FED_SP_ID, LAKELOOP_IDP_SUBJECT,
DATABRICKS_OIDC_TOKEN, and LAKELOOP_DIALECT (the emulator's --dialect flags, comma-separated, if any). Every check is an assertion; the first failure exits non-zero with a traceback.
"""

import os
import sys
from datetime import timedelta

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs

HOST = os.environ["DATABRICKS_HOST"].rstrip("/")
SP_ID = os.environ["LAKELOOP_SP_ID"]
SP_SECRET = os.environ["LAKELOOP_SP_SECRET"]
FED_SP_ID = os.environ["LAKELOOP_FED_SP_ID"]
IDP_SUBJECT = os.environ["LAKELOOP_IDP_SUBJECT"]
WAIT = timedelta(minutes=2)
DIALECT = set(filter(None, os.environ.get("LAKELOOP_DIALECT", "").split(",")))


def control(method, path, body=None):
    response = requests.request(method, f"{HOST}/__emulator{path}", json=body, timeout=30)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def tokens():
    return control("GET", "/stats")["tokens"]


def step(name):
    print(f"- {name}", flush=True)


def main():
    control("POST", "/reset")
    control("POST", "/scenarios", {"durationMs": 200})

    step("oauth-m2m: discovery, a client-credentials token, Jobs and SCIM calls")
    before = tokens()
    w = WorkspaceClient(host=HOST, client_id=SP_ID, client_secret=SP_SECRET, auth_type="oauth-m2m")
    assert w.config.auth_type == "oauth-m2m", w.config.auth_type
    me = w.current_user.me()
    assert me.user_name == SP_ID, me
    job = w.jobs.create(
        name="conformance-oauth-m2m",
        tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path="/Workspace/oauth/t"))],
    )
    assert w.jobs.get(job.job_id).creator_user_name == SP_ID
    assert job.job_id in {j.job_id for j in w.jobs.list(name="conformance-oauth-m2m")}
    run = w.jobs.run_now(job_id=job.job_id).result(timeout=WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    assert run.creator_user_name == SP_ID, run.creator_user_name
    if "int64-ids" in DIALECT:
        assert min(job.job_id, run.run_id) > 2**62, (job.job_id, run.run_id)
    after = tokens()
    # The SDK caches its one-hour token: one client-credentials grant for all of the above.
    assert after["issuedByGrant"]["client_credentials"] == before["issuedByGrant"]["client_credentials"] + 1, after
    requests_seen = control("GET", "/stats")["requests"]
    assert requests_seen.get("GET /oidc/.well-known/oauth-authorization-server", 0) >= 1, requests_seen
    assert requests_seen.get("POST /oidc/v1/token", 0) >= 1, requests_seen
    # What the SDK discovered from (read after the count above, so that counts only the SDK's requests):
    # with no-issuer there is no issuer, and the SDK, which reads only the endpoints
    # (databricks/sdk/oauth.py OidcEndpoints.from_dict), got its token all the same.
    discovery = requests.get(f"{HOST}/oidc/.well-known/oauth-authorization-server", timeout=30).json()
    assert ("issuer" in discovery) == ("no-issuer" not in DIALECT), discovery

    step("oauth-m2m: a wrong secret is the OAuth invalid_client error, without the secret")
    wrong_secret = "dose-conformance-wrong-secret"
    try:
        WorkspaceClient(
            host=HOST, client_id=SP_ID, client_secret=wrong_secret, auth_type="oauth-m2m"
        ).current_user.me()
        raise AssertionError("a wrong client secret must be refused")
    except AssertionError:
        raise
    except Exception as error:  # the SDK surfaces the token endpoint's error as a ValueError
        assert "invalid_client" in str(error), error
        assert wrong_secret not in str(error), "the error repeats the secret"
        assert SP_SECRET not in str(error)

    step("env-oidc: RFC 8693 exchange for the service principal of a federation policy")
    before = tokens()
    fed = WorkspaceClient(host=HOST, client_id=FED_SP_ID, auth_type="env-oidc")
    me = fed.current_user.me()
    assert me.user_name == FED_SP_ID, me
    assert len(list(fed.jobs.list(limit=5))) >= 1
    after = tokens()
    assert after["issuedByGrant"]["token_exchange"] == before["issuedByGrant"]["token_exchange"] + 1, after

    step("env-oidc: an account-wide policy authenticates the JWT subject")
    account = WorkspaceClient(host=HOST, auth_type="env-oidc")
    assert account.current_user.me().user_name == IDP_SUBJECT

    control("POST", "/reset")
    print("sdk oauth conformance: all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        print(f"sdk oauth conformance: FAILED against {HOST}", file=sys.stderr, flush=True)
        raise
