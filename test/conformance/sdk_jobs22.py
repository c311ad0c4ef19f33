"""The official Databricks SDK for Python against the emulator's Jobs API 2.2 paging, for_each tasks,
disabled tasks and runs/export.

The SDK's own hand-written mixin (databricks/sdk/mixins/jobs.py) follows next_page_token and merges
the pages of jobs/get and runs/get; this script checks that it gets every task, job cluster, job
parameter and for_each iteration back, in as many requests as the paging implies. Run by
test/emulator/jobs22-sdk.test.ts with DATABRICKS_HOST and DATABRICKS_TOKEN pointing at an emulator.
"""

import base64
import json
import os
import sys
import urllib.parse
from datetime import timedelta

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs

HOST = os.environ["DATABRICKS_HOST"].rstrip("/")
WAIT = timedelta(minutes=3)
TASKS, CLUSTERS, PARAMETERS, ITERATIONS = 300, 120, 150, 250


def control(method, path, body=None):
    response = requests.request(method, f"{HOST}/__emulator{path}", json=body, timeout=30)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def requests_to(key):
    return control("GET", "/stats")["requests"].get(key, 0)


def notebook(name):
    return jobs.NotebookTask(notebook_path=f"/Workspace/lakeloop/{name}")


def step(name):
    print(f"- {name}", flush=True)


def wide_job(w, name):
    return w.jobs.create(
        name=name,
        max_concurrent_runs=5,
        tasks=[jobs.Task(task_key=f"t{i:03d}", notebook_task=notebook(f"t{i:03d}")) for i in range(TASKS)],
        job_clusters=[
            jobs.JobCluster(
                job_cluster_key=f"c{i}",
                new_cluster=compute.ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=0),
            )
            for i in range(CLUSTERS)
        ],
        parameters=[jobs.JobParameterDefinition(name=f"p{i}", default=f"d{i}") for i in range(PARAMETERS)],
    )


def main():
    control("POST", "/reset")
    control("POST", "/scenarios", {"durationMs": 50})
    control("POST", "/scenarios", {"match": {"taskKey": "score", "input": "7"}, "durationMs": 20, "output": {"scored": 7}})
    control("POST", "/scenarios", {"match": {"taskKey": "train"}, "durationMs": 50, "output": {"auc": 0.91}})
    w = WorkspaceClient(host=HOST, token=os.environ["DATABRICKS_TOKEN"])

    step("jobs.get merges 3 pages of tasks, job_clusters and parameters")
    job = wide_job(w, "sdk-wide")
    before = requests_to("GET /api/2.2/jobs/get")
    fetched = w.jobs.get(job.job_id)
    assert requests_to("GET /api/2.2/jobs/get") - before == 3, "300 tasks are 3 pages"
    assert [t.task_key for t in fetched.settings.tasks] == [f"t{i:03d}" for i in range(TASKS)]
    assert [c.job_cluster_key for c in fetched.settings.job_clusters] == [f"c{i}" for i in range(CLUSTERS)]
    assert [p.name for p in fetched.settings.parameters] == [f"p{i}" for i in range(PARAMETERS)]
    assert fetched.next_page_token is None

    step("run_now(...).result() and get_run merge every page of a 300-task run")
    run = w.jobs.run_now(job_id=job.job_id, job_parameters={"p7": "overridden"}).result(timeout=WAIT)
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    assert len(run.tasks) == TASKS, len(run.tasks)
    before = requests_to("GET /api/2.2/jobs/runs/get")
    again = w.jobs.get_run(run.run_id)
    assert requests_to("GET /api/2.2/jobs/runs/get") - before == 3, "300 tasks are 3 pages"
    assert [t.task_key for t in again.tasks] == [f"t{i:03d}" for i in range(TASKS)]
    assert len({t.run_id for t in again.tasks}) == TASKS, "every task exactly once"
    assert all(t.state.result_state == jobs.RunResultState.SUCCESS for t in again.tasks)
    assert [c.job_cluster_key for c in again.job_clusters] == [f"c{i}" for i in range(CLUSTERS)]
    assert len(again.job_parameters) == PARAMETERS, len(again.job_parameters)
    p7 = next(p for p in again.job_parameters if p.name == "p7")
    assert (p7.default, p7.value) == ("d7", "overridden"), p7
    assert len(again.repair_history) == 1 and again.repair_history[0].type == jobs.RepairHistoryItemType.ORIGINAL

    step("list_runs(expand_tasks=True) and list(expand_tasks=True) fetch the rest of has_more entries")
    listed = list(w.jobs.list_runs(job_id=job.job_id, expand_tasks=True))
    assert len(listed) == 1 and len(listed[0].tasks) == TASKS, [len(r.tasks) for r in listed]
    listed_jobs = [j for j in w.jobs.list(expand_tasks=True, name="sdk-wide")]
    assert len(listed_jobs) == 1 and len(listed_jobs[0].settings.tasks) == TASKS

    step(f"a for_each task over {ITERATIONS} inputs; get_run on its run merges every iteration")
    inputs = json.dumps(list(range(ITERATIONS)))
    loop_job = w.jobs.create(
        name="sdk-loop",
        tasks=[
            jobs.Task(
                task_key="fan_out",
                for_each_task=jobs.ForEachTask(
                    inputs=inputs,
                    concurrency=25,
                    task=jobs.Task(task_key="score", notebook_task=notebook("score")),
                ),
            )
        ],
    )
    loop_run = w.jobs.run_now(job_id=loop_job.job_id).result(timeout=WAIT)
    assert loop_run.state.result_state == jobs.RunResultState.SUCCESS, loop_run.state
    fan_out = loop_run.tasks[0]
    assert fan_out.for_each_task.inputs == inputs and fan_out.for_each_task.concurrency == 25
    stats = fan_out.for_each_task.stats.task_run_stats
    assert (stats.total_iterations, stats.succeeded_iterations, stats.failed_iterations) == (ITERATIONS, ITERATIONS, 0), stats
    before = requests_to("GET /api/2.2/jobs/runs/get")
    loop = w.jobs.get_run(fan_out.run_id)
    assert requests_to("GET /api/2.2/jobs/runs/get") - before == 3, "250 iterations are 3 pages"
    assert [t.run_id for t in loop.tasks] == [fan_out.run_id], "the for_each task itself, once"
    assert len(loop.iterations) == ITERATIONS, len(loop.iterations)
    assert len({it.run_id for it in loop.iterations}) == ITERATIONS, "every iteration exactly once"
    assert all(it.task_key == "score" and it.state.result_state == jobs.RunResultState.SUCCESS for it in loop.iterations)
    output = w.jobs.get_run_output(loop.iterations[7].run_id)
    assert json.loads(output.notebook_output.result) == {"scored": 7}, output.notebook_output

    step("a disabled task ends DISABLED")
    disabled_job = w.jobs.create(
        name="sdk-disabled",
        tasks=[
            jobs.Task(task_key="off", notebook_task=notebook("off"), disabled=True),
            jobs.Task(task_key="on", notebook_task=notebook("on")),
        ],
    )
    disabled_run = w.jobs.run_now(job_id=disabled_job.job_id).result(timeout=WAIT)
    states = {t.task_key: t.state.result_state for t in disabled_run.tasks}
    assert states == {"off": jobs.RunResultState.DISABLED, "on": jobs.RunResultState.SUCCESS}, states
    assert disabled_run.state.result_state == jobs.RunResultState.SUCCESS, disabled_run.state

    step("export_run of a notebook task run returns its HTML with the notebook model")
    train_job = w.jobs.create(name="sdk-export", tasks=[jobs.Task(task_key="train", notebook_task=notebook("train_model"))])
    train_run = w.jobs.run_now(job_id=train_job.job_id).result(timeout=WAIT)
    exported = w.jobs.export_run(train_run.tasks[0].run_id, views_to_export=jobs.ViewsToExport.CODE)
    assert len(exported.views) == 1 and exported.views[0].type == jobs.ViewType.NOTEBOOK, exported.views
    html = exported.views[0].content
    encoded = html.split("var __DATABRICKS_NOTEBOOK_MODEL = '", 1)[1].split("';", 1)[0]
    model = json.loads(urllib.parse.unquote(base64.b64decode(encoded).decode("utf-8")))
    assert model["name"] == "train_model", model["name"]
    assert any(c["results"] == {"type": "raw", "data": '{"auc":0.91}'} for c in model["commands"]), model["commands"]

    control("POST", "/reset")
    print("sdk jobs 2.2: all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        print(f"sdk jobs 2.2: FAILED against {HOST}", file=sys.stderr, flush=True)
        raise
