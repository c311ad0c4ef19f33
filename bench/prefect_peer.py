"""The Prefect 3 peer of `npm run bench`: prefect-databricks' own
`jobs_runs_submit_and_wait_for_completion` flow with its defaults, N runs against the emulator.

    python bench/prefect_peer.py HOST:PORT TOKEN RUNS concurrent|back-to-back

Prints one JSON line: completed, failed, wall seconds, first terminal runs/get receive time per run
(wall-clock ms), peak RSS and CPU seconds of this process (the ephemeral Prefect API server that
Prefect starts as a subprocess is not counted, as the Temporal server is not counted for Lakeloop).

The only change to prefect-databricks: its client hard-codes https://, and the emulator speaks plain
HTTP, so httpx.AsyncClient in prefect_databricks.credentials is swapped for a subclass that rewrites
the scheme and notes when a runs/get response shows a terminal state. Polling logic is untouched.
"""

import asyncio
import sys
import time

import httpx
import prefect_databricks.credentials as credentials_module
from prefect import flow
from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion
from prefect_databricks.models.jobs import NotebookTask, RunSubmitTaskSettings

from peer_report import measure_and_report  # bench/peer_report.py, beside this script

TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
observed: dict[int, float] = {}
errors: list[str] = []


class PlainHttpClient(httpx.AsyncClient):
    def __init__(self, *args, base_url="", **kwargs):
        super().__init__(*args, base_url=str(base_url).replace("https://", "http://", 1), **kwargs)

    async def send(self, request, *args, **kwargs):
        response = await super().send(request, *args, **kwargs)
        if request.url.path.endswith("/jobs/runs/get") and response.status_code == 200:
            at = time.time() * 1000
            run_id = int(request.url.params.get("run_id", "0"))
            await response.aread()
            state = response.json().get("state", {})
            if state.get("life_cycle_state") in TERMINAL and run_id not in observed:
                observed[run_id] = at
        return response


credentials_module.AsyncClient = PlainHttpClient


async def one(credentials: DatabricksCredentials) -> bool:
    try:
        await jobs_runs_submit_and_wait_for_completion(
            databricks_credentials=credentials,
            run_name="bench",
            tasks=[RunSubmitTaskSettings(task_key="only", notebook_task=NotebookTask(notebook_path="/bench"))],
        )
        return True
    except Exception as error:  # noqa: BLE001 - a failed run counts as failed, whatever the cause
        print(f"prefect run failed: {error!r}", file=sys.stderr)
        errors.append(repr(error)[:300])
        return False


@flow(name="lakeloop-bench-peer")
async def bench(instance: str, token: str, runs: int, launch: str) -> list[bool]:
    credentials = DatabricksCredentials(databricks_instance=instance, token=token)
    if launch == "concurrent":
        return list(await asyncio.gather(*(one(credentials) for _ in range(runs))))
    # back to back: start each as soon as the previous one has been started
    started = []
    for _ in range(runs):
        started.append(asyncio.ensure_future(one(credentials)))
        await asyncio.sleep(0)
    return list(await asyncio.gather(*started))


def main() -> None:
    instance, token, runs, launch = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    measure_and_report(lambda: asyncio.run(bench(instance, token, runs, launch)), observed, errors)


if __name__ == "__main__":
    main()
