"""Requests per second and ack p95 of one `rumbo serve` against two on one PostgreSQL,
20 concurrent clients spread over the instances (the same workload as serve_latency:
/plan help, /plan idea, session answers, every write in its ack). Needs a PostgreSQL:

    eval "$(scripts/postgres-throwaway start)"
    .venv/bin/python -m benchmarks.instances [--requests 600]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.serve_latency import percentile, prepare_rumbo, run, workload
from bot.devslack import SlackDriver, SlackEmulator
from tests.postgres import own_schema
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET, Rumbo

CHANNEL, USER = "C0BENCH", "U0BENCH"


def measure(count: int, requests: int, clients: int, base_url: str) -> tuple[float, float, float]:
    with own_schema(base_url, "bench") as (url, _):
        workdir = Path(tempfile.mkdtemp(prefix="rumbo-instances-"))
        with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
            emulator.add_user(USER, "bench", locale="en-US", tz="Europe/Madrid")
            emulator.add_channel(CHANNEL, "bench", members=[USER])
            servers = [Rumbo(api_url=emulator.api_url, database_url=url, scheduler=n == 0,
                             log_path=workdir / f"serve{n}.log").start() for n in range(count)]
            try:
                driver = SlackDriver(f"{servers[0].url}/slack/events", SIGNING_SECRET, emulator)
                metadata = prepare_rumbo(driver, emulator)
                urls = ",".join(f"{s.url}/slack/events" for s in servers)
                run(urls, workload(driver, 60, metadata, 10**6), clients)  # warm up
                started = time.perf_counter()
                timings = run(urls, workload(driver, requests, metadata, 0), clients)
                elapsed = time.perf_counter() - started
            finally:
                for server in servers:
                    server.stop()
        return requests / elapsed, statistics.median(timings), percentile(timings, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    base_url = os.environ.get("RUMBO_TEST_POSTGRES_URL")
    if not base_url:
        sys.exit("set RUMBO_TEST_POSTGRES_URL (scripts/postgres-throwaway start)")
    print(f"{args.clients} concurrent clients, {args.requests} requests, PostgreSQL")
    for count in (1, 2):
        rate, p50, p95 = measure(count, args.requests, args.clients, base_url)
        print(f"{count} instance{'s' if count > 1 else ' '}: {rate:6.0f} requests/s   "
              f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
