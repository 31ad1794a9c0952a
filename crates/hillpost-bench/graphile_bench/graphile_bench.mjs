// graphile-worker (a Node.js PostgreSQL job queue) doing what hillpost's queue benchmark does:
// claim a job, run a no-op, record the result, with several worker processes on one database.
//
//     node graphile_bench.mjs setup CONNSTRING JOBS
//     node graphile_bench.mjs worker CONNSTRING CONCURRENCY [LOCAL_QUEUE_SIZE [BATCH_DELAY_MS]]
//     node graphile_bench.mjs measure CONNSTRING
//
// `setup` installs graphile-worker's schema with its own migrations and adds JOBS no-op jobs
// with `addJobs`, 10,000 per call.
//
// `worker` runs graphile's `runOnce` (it works until no job is left, then exits) with a no-op
// task, CONCURRENCY jobs at once, a local queue of LOCAL_QUEUE_SIZE jobs (default 500; -1
// turns it off) and completions (and failures) batched after BATCH_DELAY_MS (default 0; -1
// turns batching off). On exit it prints one JSON line: the jobs this process ran, the
// wall-clock time (seconds since the epoch) its first job started, and the time its last
// completion was committed. graphile deletes a job when it completes, so no timestamp
// survives in the database; the bench combines the processes' lines (earliest start, latest
// completion) into the figure.
//
// `measure` prints JSON `{"left": N}`: the jobs still in graphile's table (failed or never
// run); the bench expects none.

// Per-job "Completed task" log lines are built unless this is set before graphile-worker is
// loaded (its perfTest sets it too), so the module is imported after it.
process.env.NO_LOG_SUCCESS ??= "1";
const { Logger, makeWorkerUtils, runOnce } = await import("graphile-worker");
const { EventEmitter } = await import("node:events");

// Warnings and errors only, on stderr (the bench reads stdout).
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`graphile-worker ${level}: ${message}`);
  }
});

/** Wall-clock seconds since the epoch, to the microsecond (Date.now() has milliseconds). */
const now = () => (performance.timeOrigin + performance.now()) / 1000;

async function setup(connectionString, jobs) {
  const utils = await makeWorkerUtils({ connectionString, logger });
  try {
    await utils.migrate();
    for (let start = 0; start < jobs; start += 10_000) {
      const specs = [];
      for (let i = start; i < Math.min(jobs, start + 10_000); i++) {
        specs.push({ identifier: "noop", payload: { i } });
      }
      await utils.addJobs(specs);
    }
  } finally {
    await utils.release();
  }
}

async function worker(connectionString, concurrency, localQueueSize, batchDelay) {
  const events = new EventEmitter();
  let jobs = 0;
  let firstStart = null;
  let lastCompletion = null;
  events.on("job:start", () => {
    firstStart ??= now();
  });
  events.on("job:success", () => {
    jobs += 1;
  });
  // The pool is released once its completion batches have been committed.
  events.on("pool:release", () => {
    lastCompletion = now();
  });
  await runOnce({
    noHandleSignals: true,
    taskList: { noop: () => {} },
    preset: {
      worker: {
        connectionString,
        logger,
        events,
        concurrentJobs: concurrency,
        // graphile's advice: 10 or concurrentJobs + 2, whichever is larger.
        maxPoolSize: Math.max(10, concurrency + 2),
        localQueue: { size: localQueueSize },
        completeJobBatchDelay: batchDelay,
        failJobBatchDelay: batchDelay,
      },
    },
  });
  console.log(JSON.stringify({ jobs, first_start: firstStart, last_completion: lastCompletion }));
}

async function measure(connectionString) {
  const utils = await makeWorkerUtils({ connectionString, logger });
  try {
    const { rows } = await utils.withPgClient((client) =>
      client.query("SELECT count(*)::int AS left FROM graphile_worker._private_jobs"),
    );
    console.log(JSON.stringify({ left: rows[0].left }));
  } finally {
    await utils.release();
  }
}

const [command, connectionString, ...rest] = process.argv.slice(2);
if (command === "setup") {
  await setup(connectionString, Number(rest[0]));
} else if (command === "worker") {
  await worker(
    connectionString,
    Number(rest[0]),
    Number(rest[1] ?? 500),
    Number(rest[2] ?? 0),
  );
} else if (command === "measure") {
  await measure(connectionString);
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
