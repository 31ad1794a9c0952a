"""procrastinate (a Python PostgreSQL job queue) doing what hillpost's queue benchmark does:
claim a job, run a no-op, record the result, with several worker processes on one database.

    python3 procrastinate_bench.py setup CONNINFO JOBS
    python3 procrastinate_bench.py worker CONNINFO CONCURRENCY
    python3 procrastinate_bench.py measure CONNINFO

`measure` prints JSON: jobs that succeeded, and the seconds from the first job's start to the
last job's success (from procrastinate's own event table), like hillpost's figure.
"""

import asyncio
import json
import sys

from procrastinate import App, PsycopgConnector


# The app is built in a function (not at import) so each subcommand gets its own connector.
def make_app(conninfo: str) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo))

    @app.task(name="noop", queue="bench")
    async def noop(i: int) -> None:
        return None

    return app


async def setup(conninfo: str, jobs: int) -> None:
    app = make_app(conninfo)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        task = app.tasks["noop"]
        for start in range(0, jobs, 10_000):
            await task.batch_defer_async(*({"i": i} for i in range(start, min(jobs, start + 10_000))))


async def worker(conninfo: str, concurrency: int) -> None:
    app = make_app(conninfo)
    async with app.open_async():
        await app.run_worker_async(
            queues=["bench"],
            concurrency=concurrency,
            wait=False,
            delete_jobs="never",
            install_signal_handlers=False,
        )


async def measure(conninfo: str) -> None:
    app = make_app(conninfo)
    async with app.open_async():
        row = await app.connector.execute_query_one_async(
            query="""SELECT (SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded') AS jobs,
                            extract(epoch FROM (SELECT max(at) FROM procrastinate_events WHERE type = 'succeeded')
                                             - (SELECT min(at) FROM procrastinate_events WHERE type = 'started'))::float8 AS seconds"""
        )
        print(json.dumps({"jobs": row["jobs"], "seconds": row["seconds"]}))


if __name__ == "__main__":
    command, conninfo = sys.argv[1], sys.argv[2]
    if command == "setup":
        asyncio.run(setup(conninfo, int(sys.argv[3])))
    elif command == "worker":
        asyncio.run(worker(conninfo, int(sys.argv[3])))
    elif command == "measure":
        asyncio.run(measure(conninfo))
    else:
        sys.exit(f"unknown command {command}")
