"""Drive the emulator with the official Databricks SDK for Python, end to end.

Run by test/emulator/conformance.test.ts with DATABRICKS_HOST and DATABRICKS_TOKEN pointing at an
emulator. Every check is a real assertion; the first failure ends the script with a traceback and a
non-zero exit code. The control API (/__emulator/...) scripts durations and outcomes and injects faults.
LAKELOOP_DIALECT names the emulator's --dialect flags (comma-separated), so the script can check that
the dialect is in effect: the SDK's answers must be the same under it.
"""

import json
import os
import sys
import time
import uuid
from datetime import timedelta

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotFound, ResourceDoesNotExist
from databricks.sdk.service import jobs

HOST = os.environ["DATABRICKS_HOST"].rstrip("/")
WAIT = timedelta(minutes=2)
DIALECT = set(filter(None, os.environ.get("LAKELOOP_DIALECT", "").split(",")))


def control(method, path, body=None):
    response = requests.request(method, f"{HOST}/__emulator{path}", json=body, timeout=30)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def scenario(**rule):
    control("POST", "/scenarios", rule)


def stats():
    return control("GET", "/stats")


def request_count(key):
    return stats()["requests"].get(key, 0)


def notebook(task_key):
    return jobs.NotebookTask(notebook_path=f"/Workspace/lakeloop/{task_key}")


def step(name):
    print(f"- {name}", flush=True)


def main():
    control("POST", "/reset")
    scenario(durationMs=300)
    scenario(match={"taskKey": "train"}, durationMs=300, output={"accuracy": 0.93}, logs="epoch 1\n")
    scenario(match={"taskKey": "long"}, durationMs=600_000)
    scenario(match={"taskKey": "flaky"}, durationMs=200, result="FAILED", failTimes=1, error="ValueError: flaky")

    w = WorkspaceClient(host=HOST, token=os.environ["DATABRICKS_TOKEN"])

    step("create a job and read it back")
    job = w.jobs.create(
        name="conformance-train",
        tasks=[jobs.Task(task_key="train", notebook_task=notebook("train"))],
        parameters=[jobs.JobParameterDefinition(name="date", default="2026-01-01")],
    )
    assert job.job_id, job
    fetched = w.jobs.get(job.job_id)
    assert fetched.settings.name == "conformance-train", fetched.settings
    assert [t.task_key for t in fetched.settings.tasks] == ["train"]

    step("run_now(...).result() waits for TERMINATED/SUCCESS")
    run = w.jobs.run_now(job_id=job.job_id, job_parameters={"date": "2026-11-26"}).result(timeout=WAIT)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED, run.state
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    assert run.status.state == jobs.RunLifecycleStateV2State.TERMINATED, run.status
    assert run.status.termination_details.code == jobs.TerminationCodeCode.SUCCESS, run.status
    assert run.status.termination_details.type == jobs.TerminationTypeType.SUCCESS, run.status
    assert run.end_time >= run.start_time > 0, (run.start_time, run.end_time)
    assert run.run_page_url.startswith(HOST), run.run_page_url
    assert {(p.name, p.value) for p in run.job_parameters} == {("date", "2026-11-26")}, run.job_parameters
    assert len(run.tasks) == 1 and run.tasks[0].run_id != run.run_id, run.tasks
    if "int64-ids" in DIALECT:
        # Python ints are exact: the SDK hands back ids above 2^62 unchanged.
        assert min(job.job_id, run.run_id, run.tasks[0].run_id, run.number_in_job) > 2**62, run
    if "strict-nulls" in DIALECT:
        raw = w.api_client.do("GET", "/api/2.2/jobs/runs/get", query={"run_id": run.run_id})
        assert "trigger_info" in raw and raw["trigger_info"] is None, raw
        assert run.trigger_info is None and run.next_page_token is None, run

    step("get_run_output on the task run; the parent run is refused")
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert json.loads(output.notebook_output.result) == {"accuracy": 0.93}, output.notebook_output
    assert output.metadata.run_id == run.tasks[0].run_id and output.metadata.job_id == job.job_id, output.metadata
    try:
        w.jobs.get_run_output(run.run_id)
        raise AssertionError("get_run_output on a multi-task parent run must fail")
    except InvalidParameterValue as error:
        assert "multiple tasks is not supported" in str(error), error

    step("submit twice with one idempotency token creates one run")
    created_before = stats()["runs"]["created"]
    token = f"conformance-{uuid.uuid4()}"
    spec = dict(run_name="idempotent", tasks=[jobs.SubmitTask(task_key="t", notebook_task=notebook("t"))])
    first = w.jobs.submit(idempotency_token=token, **spec)
    second = w.jobs.submit(idempotency_token=token, **spec)
    assert first.run_id == second.run_id, (first.run_id, second.run_id)
    assert stats()["runs"]["created"] == created_before + 1
    finished = first.result(timeout=WAIT)
    assert finished.state.result_state == jobs.RunResultState.SUCCESS, finished.state
    again = w.jobs.submit(idempotency_token=token, **spec)
    assert again.run_id == first.run_id, "a finished run keeps its idempotency token"

    step("cancel_run of a long run ends CANCELED / USER_CANCELED")
    long_run = w.jobs.submit(run_name="long", tasks=[jobs.SubmitTask(task_key="long", notebook_task=notebook("long"))])
    deadline = time.time() + 30
    while w.jobs.get_run(long_run.run_id).state.life_cycle_state != jobs.RunLifeCycleState.RUNNING:
        assert time.time() < deadline, "the long run never reached RUNNING"
        time.sleep(0.1)
    cancelled = w.jobs.cancel_run(long_run.run_id).result(timeout=WAIT)
    assert cancelled.state.result_state == jobs.RunResultState.CANCELED, cancelled.state
    assert cancelled.state.user_cancelled_or_timedout is True, cancelled.state
    assert cancelled.status.termination_details.code == jobs.TerminationCodeCode.USER_CANCELED, cancelled.status

    step("a missing run or job raises the SDK's not-found error")
    for call in (lambda: w.jobs.get_run(123), lambda: w.jobs.get(123)):
        try:
            call()
            raise AssertionError("expected ResourceDoesNotExist")
        except ResourceDoesNotExist as error:
            assert isinstance(error, NotFound) and "does not exist" in str(error), error

    step("malformed input is a BadRequest naming the field")
    try:
        w.api_client.do("POST", "/api/2.1/jobs/runs/cancel", body={"run_id": "not-a-number"})
        raise AssertionError("expected BadRequest")
    except BadRequest as error:
        assert "run_id" in str(error), error

    step("a 429 with Retry-After is retried by the SDK and then succeeds")
    path = "/api/2.2/jobs/runs/get"
    before = request_count(f"GET {path}")
    control("POST", "/faults", {"method": "GET", "path": "/jobs/runs/get", "status": 429, "retryAfterSeconds": 1, "count": 2})
    started = time.time()
    again = w.jobs.get_run(run.run_id)
    elapsed = time.time() - started
    assert again.run_id == run.run_id
    assert request_count(f"GET {path}") == before + 3, "two throttled attempts and one success"
    assert elapsed >= 1.9, f"the SDK must honour Retry-After (took {elapsed:.2f}s)"

    step("repair_run re-runs only the failed task")
    flaky = w.jobs.create(
        name="conformance-flaky",
        tasks=[
            jobs.Task(task_key="prepare", notebook_task=notebook("prepare")),
            jobs.Task(task_key="flaky", notebook_task=notebook("flaky"), depends_on=[jobs.TaskDependency("prepare")]),
        ],
    )
    failed = w.jobs.run_now(job_id=flaky.job_id).result(timeout=WAIT)
    assert failed.state.result_state == jobs.RunResultState.FAILED, failed.state
    assert failed.status.termination_details.code == jobs.TerminationCodeCode.RUN_EXECUTION_ERROR, failed.status
    failed_task = next(t for t in failed.tasks if t.task_key == "flaky")
    assert w.jobs.get_run_output(failed_task.run_id).error == "ValueError: flaky"
    repaired = w.jobs.repair_run(run_id=failed.run_id, rerun_all_failed_tasks=True).result(timeout=WAIT)
    assert repaired.state.result_state == jobs.RunResultState.SUCCESS, repaired.state
    tasks = {t.task_key: t for t in repaired.tasks}
    assert tasks["prepare"].run_id == next(t.run_id for t in failed.tasks if t.task_key == "prepare")
    assert tasks["flaky"].run_id != failed_task.run_id and tasks["flaky"].attempt_number == 1
    assert [h.type for h in repaired.repair_history] == [jobs.RepairHistoryItemType.ORIGINAL, jobs.RepairHistoryItemType.REPAIR]

    step("list_runs follows next_page_token across pages")
    many = w.jobs.create(
        name="conformance-many",
        max_concurrent_runs=100,
        tasks=[jobs.Task(task_key="t", notebook_task=notebook("t"))],
    )
    started_ids = {w.jobs.run_now(job_id=many.job_id).run_id for _ in range(23)}
    list_key = "GET /api/2.2/jobs/runs/list"
    before = request_count(list_key)
    listed = list(w.jobs.list_runs(job_id=many.job_id, limit=10))
    assert {r.run_id for r in listed} == started_ids, "every run exactly once"
    assert len(listed) == 23
    assert [r.run_id for r in listed] == sorted(started_ids, reverse=True), "newest first"
    assert request_count(list_key) - before == 3, "23 runs at 10 per page is 3 pages"

    control("POST", "/reset")
    print("sdk conformance: all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        print(f"sdk conformance: FAILED against {HOST}", file=sys.stderr, flush=True)
        raise
