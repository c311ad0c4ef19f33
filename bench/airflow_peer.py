"""The Apache Airflow peer of `npm run bench`: the Databricks provider's own
`DatabricksSubmitRunOperator` with its defaults, N runs against the emulator, driven the way Airflow
drives an operator but without Airflow's scheduler, executor processes or metadata database.

    python bench/airflow_peer.py RUNS concurrent|back-to-back deferrable|classic

The connection comes from AIRFLOW_CONN_DATABRICKS_DEFAULT (set by bench/airflow.ts), as an Airflow
deployment would give it: the operator's default `databricks_conn_id` resolves it through Airflow's
environment-variable secrets backend, which is consulted before the metadata DB, so no DB is needed.

Modes, both with Airflow's defaults read from the installed version's configuration:
  deferrable  `deferrable=True`: execute() runs in a worker slot, submits, reads the run three times and
              raises TaskDeferred; the trigger is rebuilt from its serialize() (as the triggerer loads
              it) and its async run() polls on one asyncio loop with at most [triggerer]
              default_capacity triggers at once; then execute_complete runs in a worker slot again.
  classic     execute() blocks in a worker slot, polling runs/get every polling_period_seconds.
Worker slots: min([core] parallelism, default pool slots) threads.

Prints one JSON line: completed, failed, wall seconds, first terminal runs/get receive time per run
(wall-clock ms), peak RSS and CPU seconds of this process, up to 5 distinct errors, and notes.

The provider's logic is untouched. Around it: `_do_api_call` / `_a_do_api_call` are wrapped to note
the time of the first runs/get response showing a terminal state, and a few one-time initialisations
are made before the clock starts (see warm_up).
"""

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from airflow.configuration import conf
from airflow.exceptions import TaskDeferred
from airflow.models.base import _sentinel
from airflow.providers.databricks.hooks.databricks import GET_RUN_ENDPOINT, DatabricksHook
from airflow.providers.databricks.hooks.databricks_base import BaseDatabricksHook
from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from airflow.utils.module_loading import import_string

from peer_report import measure_and_report  # bench/peer_report.py, beside this script

TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
observed: dict[int, float] = {}
errors: list[str] = []

# The defaults of the installed Airflow: the executor runs at most `parallelism` task instances at
# once and the default pool holds `default_pool_task_slot_count`; deferred tasks hold neither (the
# default pool has include_deferred=False), so only execute() and execute_complete need a slot.
PARALLELISM = conf.getint("core", "parallelism")
POOL_SLOTS = conf.getint("core", "default_pool_task_slot_count")
MAX_ACTIVE_TASKS_PER_DAG = conf.getint("core", "max_active_tasks_per_dag")
TRIGGERER_CAPACITY = conf.getint("triggerer", "default_capacity")
WORKER_SLOTS = min(PARALLELISM, POOL_SLOTS)


def _note_terminal(endpoint_info, request_json, response) -> None:
    # Same definition as Lakeloop's and Prefect's figure: receive time of the first runs/get response
    # showing the run terminal, whichever provider method asked (get_run, get_run_state, get_job_id…).
    at = time.time() * 1000
    if endpoint_info != GET_RUN_ENDPOINT or not isinstance(response, dict):
        return
    if response.get("state", {}).get("life_cycle_state") in TERMINAL:
        # setdefault is atomic under the GIL: worker threads and the trigger loop may race here.
        observed.setdefault(int(request_json["run_id"]), at)


_sync_call = BaseDatabricksHook._do_api_call
_async_call = BaseDatabricksHook._a_do_api_call


def _do_api_call(self, endpoint_info, json=None, *args, **kwargs):
    response = _sync_call(self, endpoint_info, json, *args, **kwargs)
    _note_terminal(endpoint_info, json, response)
    return response


async def _a_do_api_call(self, endpoint_info, json=None, *args, **kwargs):
    response = await _async_call(self, endpoint_info, json, *args, **kwargs)
    _note_terminal(endpoint_info, json, response)
    return response


BaseDatabricksHook._do_api_call = _do_api_call
BaseDatabricksHook._a_do_api_call = _a_do_api_call


class TaskInstanceStandIn:
    """The operator only pushes XComs (run id, job id, page URL) through context["ti"]; Airflow would
    write them to the metadata DB, here they stay in memory."""

    def __init__(self) -> None:
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object, **_: object) -> None:
        self.xcom[key] = value


def execute(operator: DatabricksSubmitRunOperator, context: dict) -> None:
    # TaskInstance._execute_task passes this sentinel so the operator's ExecutorSafeguard knows that
    # a task instance, not user code, is calling execute().
    operator.execute(context=context, **{f"{type(operator).__name__}__sentinel": _sentinel})


async def run_trigger(trigger):
    """As the triggerer does: load the trigger from its serialized form, run it, keep the first event."""
    classpath, kwargs = trigger.serialize()
    trigger = import_string(classpath)(**kwargs)
    events = []
    try:
        async for event in trigger.run():
            events.append(event)
    finally:
        await trigger.cleanup()
    return events[0]


async def one(
    index: int,
    mode: str,
    workers: ThreadPoolExecutor,
    capacity: asyncio.Semaphore,
    submitted: asyncio.Event,
) -> bool:
    loop = asyncio.get_running_loop()
    operator = DatabricksSubmitRunOperator(
        task_id=f"bench_{index}",
        json={
            "run_name": "bench",
            "tasks": [{"task_key": "only", "notebook_task": {"notebook_path": "/bench"}}],
        },
        deferrable=mode == "deferrable",
    )
    # Back to back launches wait for the previous task's runs/submit, so tell them when ours returned.
    hook = operator._hook
    submit_run = hook.submit_run

    def submit_and_signal(body):
        try:
            return submit_run(body)
        finally:
            loop.call_soon_threadsafe(submitted.set)

    hook.submit_run = submit_and_signal
    context = {"ti": TaskInstanceStandIn()}
    try:
        deferred = None
        try:
            await loop.run_in_executor(workers, execute, operator, context)
        except TaskDeferred as raised:
            deferred = raised
        if deferred is not None:
            async with capacity:
                event = await run_trigger(deferred.trigger)
            # Airflow resumes the task with the trigger's payload as the `event` keyword argument.
            next_kwargs = {**(deferred.kwargs or {}), "event": event.payload}
            await loop.run_in_executor(
                workers, operator.resume_execution, deferred.method_name, next_kwargs, context
            )
        return True
    except Exception as error:  # noqa: BLE001 - a failed task counts as failed, whatever the cause
        print(f"airflow task failed: {error!r}", file=sys.stderr)
        errors.append(repr(error)[:300])
        return False
    finally:
        submitted.set()


async def bench(runs: int, launch: str, mode: str) -> list[bool]:
    capacity = asyncio.Semaphore(TRIGGERER_CAPACITY)
    with ThreadPoolExecutor(max_workers=WORKER_SLOTS, thread_name_prefix="slot") as workers:
        if launch == "concurrent":
            return list(
                await asyncio.gather(
                    *(one(i, mode, workers, capacity, asyncio.Event()) for i in range(runs))
                )
            )
        # back to back: queue each task once the previous one has submitted its run
        started = []
        for i in range(runs):
            submitted = asyncio.Event()
            started.append(asyncio.ensure_future(one(i, mode, workers, capacity, submitted)))
            await submitted.wait()
        return list(await asyncio.gather(*started))


def warm_up() -> None:
    """First uses that Airflow makes once per task process, made once here before the clock starts.

    Airflow runs each task instance in a process of its own, so these lazy initialisations never race
    there. Here 32 slot threads would make them at once, and they can deadlock: ExecutorSafeguard
    imports airflow.decorators on every execute() call (the first import pulls in
    airflow.operators.python and airflow.models.variable), while the first Connection configures
    SQLAlchemy's mappers under a lock and then waits for those modules' import locks; and
    functools.cached_property (one lock per class on Python 3.11) queues every other hook's
    databricks_conn behind it. Seen with 100 concurrent tasks: 32 slots stuck, no request sent.
    """
    import airflow.decorators.base  # noqa: F401

    hook = DatabricksHook()
    _ = hook.databricks_conn  # the first Connection configures the ORM mappers
    _ = hook.user_agent_value  # initialises the ProvidersManager


def main() -> None:
    runs, launch, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode not in ("deferrable", "classic"):
        sys.exit(f"mode must be deferrable or classic, not {mode}")
    warm_up()
    notes = [
        f"worker slots {WORKER_SLOTS} = min([core] parallelism {PARALLELISM}, default pool {POOL_SLOTS})",
        f"[core] max_active_tasks_per_dag {MAX_ACTIVE_TASKS_PER_DAG} not modelled"
        " (it would cap one DAG run's running tasks)",
    ]
    if mode == "deferrable":
        notes.append(f"[triggerer] default_capacity {TRIGGERER_CAPACITY} triggers on one asyncio loop")
    measure_and_report(lambda: asyncio.run(bench(runs, launch, mode)), observed, errors, notes)


if __name__ == "__main__":
    main()
