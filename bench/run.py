"""`make bench`: measure the pages, the API lists, the LMS ingest and the nightly sweeps on a metro-size
database, the same way every time, and print a JSON summary and a table.

Everything stays on 127.0.0.1 and stops by itself: a bounded number of requests per page, a gunicorn
started and stopped here, a Celery worker started and stopped here (filesystem broker in a scratch
directory). The bench databases are created, migrated and seeded when missing:

  DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hmis_bench)  seed_scale --scale S   ("10×")
  the same name + "_small"                                              seed_scale --scale S/10 ("1×")

Environment: BENCH_SCALE (default 1), BENCH_REQUESTS (sequential requests per page, and the total
under concurrency, default 60), BENCH_CLIENTS (concurrent clients, default 4), BENCH_WORKERS
(gunicorn workers, default 2), BENCH_ONLY (a comma-separated list of page names and/or `jobs`,
e.g. `BENCH_ONLY=metrics,jobs`: measure only those; a partial run writes var/bench/partial.json and
leaves latest.json, the last full run, alone).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.probe import PAGES, SLUG, floor_path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hmis_bench"
TARGETS = {
    "p95_ms": 120,
    "floor_throughput_ratio": 0.5,
    "queries_per_page": 15,
    "ingest_seconds": 30,
    "sweeps_seconds": 20,
    "web_rss_mb": 200,
}


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def env_for(url: str, *, redis: bool = True, **extra: str) -> dict[str, str]:
    """The environment of a bench process. The Celery worker gets no Redis (its broker is a scratch
    filesystem queue); the web server keeps REDIS_URL when set, so its cache is Redis as deployed."""
    dropped = ("CELERY_BROKER_URL",) if redis else ("REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONUNBUFFERED="1", **extra)
    return env


def manage(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env_for(url), check=check, text=True, capture_output=not check
    )


def ensure_database(url: str, scale: float) -> float:
    """Create, migrate and seed the database when needed; returns the seconds seeding took (0 if seeded)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    log(f"migrating {name}")
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "createcachetable")
    started = time.perf_counter()
    done = manage(url, "seed_scale", "--profile", "metro", "--scale", str(scale), check=False)
    if done.returncode != 0:
        if "already loaded" not in done.stderr:
            raise SystemExit(done.stderr)
        log(f"{name} holds scale data already")
        seconds = 0.0
    else:
        log(done.stdout.strip().splitlines()[-1])
        seconds = round(time.perf_counter() - started, 1)
    # A migration's backfill leaves dead rows and stale statistics, and autovacuum may be off (it is on
    # the development box): measure the planner's view of the data as a maintained database has it.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return seconds


def probe(url: str, command: str) -> dict:
    out = subprocess.run(
        [PY, "-m", "bench.probe", command],
        cwd=ROOT,
        env=env_for(url),
        check=True,
        text=True,
        capture_output=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Server:
    def __init__(self, url: str, workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                PY, "-m", "gunicorn", "hmis_onboarding.wsgi:application", "--config", "gunicorn.conf.py",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--worker-class", "sync", "--timeout", "120", "--log-level", "warning",
            ],
            cwd=ROOT, env=env_for(url),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = self.get("/healthz", "")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def get(self, path: str, session: str) -> tuple[int, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = {"Cookie": f"sessionid={session}"} if session else {}
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    def worker_rss(self) -> list[float]:
        return [peak_rss_mb(pid) for pid in children(self.proc.pid)]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def warm_up(server: Server, path: str, session: str, clients: int) -> None:
    """Three rounds of `clients` requests at once, so that every gunicorn worker has served the page
    (per-process caches, the first session write) before it is measured: sequential requests can
    all land on the same worker, leaving the other's first request in the measured ones."""
    failures: list[int] = []

    def one() -> None:
        status, _ = server.get(path, session)
        if status != 200:
            failures.append(status)

    for _ in range(3):
        threads = [threading.Thread(target=one) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if failures:
        raise SystemExit(f"{path} answered {failures[0]}")


def measure(server: Server, path: str, session: str, requests: int, clients: int) -> dict:
    warm_up(server, path, session, clients)
    times, queries = [], []
    for _ in range(requests):
        _, headers = server.get(path, session)
        times.append(float(headers["x-bench-ms"]))
        queries.append(int(headers["x-bench-queries"]))
    per_client = max(1, requests // clients)
    errors = []

    def client() -> None:
        for _ in range(per_client):
            status, _ = server.get(path, session)
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{path}: {len(errors)} failed requests under load ({errors[:3]})")
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95(times), 1),
        "queries": max(queries),
        "rps": round(per_client * clients / elapsed, 1),
    }


class Worker:
    def __init__(self, url: str, var_dir: Path):
        self.env = env_for(url, redis=False, HMIS_VAR_DIR=str(var_dir), CELERY_BROKER_URL="filesystem://")
        self.proc = subprocess.Popen(
            [
                PY, "-m", "celery", "-A", "bench.worker", "worker", "--pool", "solo", "-Q", "bench",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
            ],
            cwd=ROOT, env=self.env,
        )  # fmt: skip

    def run(self, result: Path, timeout: float) -> dict:
        subprocess.run([PY, "-m", "bench.worker", "send", str(result)], cwd=ROOT, env=self.env, check=True)
        deadline = time.monotonic() + timeout
        while not result.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Celery worker stopped or timed out before finishing the jobs")
            time.sleep(1)
        return json.loads(result.read_text())

    def stop(self) -> float:
        rss = peak_rss_mb(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return rss


def verdicts(summary: dict) -> list[str]:
    missed = []
    for name, page in summary["pages"].items():
        if page["p95_ms"] > TARGETS["p95_ms"]:
            missed.append(f"{name}: p95 {page['p95_ms']} ms > {TARGETS['p95_ms']} ms")
        if page["throughput_vs_floor"] < TARGETS["floor_throughput_ratio"]:
            missed.append(f"{name}: {page['throughput_vs_floor']}× the floor's throughput < 0.5×")
        if page["queries"] > TARGETS["queries_per_page"]:
            missed.append(f"{name}: {page['queries']} queries > {TARGETS['queries_per_page']}")
        if page["queries_1x"] != page["queries_10x"]:
            missed.append(f"{name}: queries grow with data ({page['queries_1x']} → {page['queries_10x']})")
    if summary["ingest"] and summary["ingest"]["seconds"] > TARGETS["ingest_seconds"]:
        missed.append(f"LMS ingest {summary['ingest']['seconds']} s > {TARGETS['ingest_seconds']} s")
    if summary["sweeps"] and summary["sweeps"]["total_seconds"] > TARGETS["sweeps_seconds"]:
        missed.append(
            f"nightly sweeps {summary['sweeps']['total_seconds']} s > {TARGETS['sweeps_seconds']} s"
        )
    if summary["rss_mb"]["web_worker_peak"] > TARGETS["web_rss_mb"]:
        missed.append(
            f"web worker RSS {summary['rss_mb']['web_worker_peak']} MB > {TARGETS['web_rss_mb']} MB"
        )
    return missed


def table(summary: dict) -> str:
    lines = [
        f"{'page / API':<22}{'median':>8}{'p95':>8}{'queries':>9}{'1×→10×':>9}{'req/s':>8}"
        f"{'floor p95':>11}{'floor r/s':>11}{'vs floor':>10}",
        "-" * 96,
    ]
    for name, p in summary["pages"].items():
        lines.append(
            f"{name:<22}{p['median_ms']:>8}{p['p95_ms']:>8}{p['queries']:>9}"
            f"{str(p['queries_1x']) + '→' + str(p['queries_10x']):>9}{p['rps']:>8}"
            f"{p['floor']['p95_ms']:>11}{p['floor']['rps']:>11}{p['throughput_vs_floor']:>9}×"
        )
    i, s = summary["ingest"], summary["sweeps"]
    lines.append("-" * 96)
    if i and s:
        lines += [
            f"LMS ingest: {i['rows']:,} rows in {i['seconds']} s ({i['queries']} queries); raw COPY "
            f"{i['copy_seconds']} s; ratio {i['ratio_to_copy']}×",
            "nightly sweeps: "
            + ", ".join(
                f"{k} {v['seconds']} s / {v['queries']} q" for k, v in s.items() if isinstance(v, dict)
            )
            + f"; total {s['total_seconds']} s / {s['total_queries']} queries",
        ]
    lines += [
        f"peak RSS: web worker {summary['rss_mb']['web_worker_peak']} MB, "
        f"Celery worker {summary['rss_mb']['celery_worker_peak']} MB",
        "targets missed: " + ("none" if not summary["missed"] else "; ".join(summary["missed"])),
    ]
    return "\n".join(lines)


def main() -> None:
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so gunicorn and the worker are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "make bench measures PostgreSQL: set DATABASE_URL to a postgres:// URL (or leave it unset)."
        )
    small_url = url.rstrip("/") + "_small"
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    requests = int(os.environ.get("BENCH_REQUESTS", "60"))
    clients = int(os.environ.get("BENCH_CLIENTS", "4"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    unknown = only - {name for name, _, _ in PAGES} - {"jobs"}
    if unknown:
        raise SystemExit(f"BENCH_ONLY names no page or job: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    seed_seconds = ensure_database(url, scale)
    ensure_database(small_url, scale / 10)
    # The metrics page reads a roll-up (hmis_onboarding.metric_snapshots) that the hourly
    # `metrics-rollup` beat task keeps fresh in production. Run that roll-up now, as the scheduler
    # would have, so the page measured is the one people normally get (figures under an hour old)
    # rather than the first view after a deploy, which computes them (~0.8 s on metro).
    for database in (url, small_url):
        log(f"metrics roll-up on {urlsplit(database).path.lstrip('/')}")
        manage(database, "metrics_rollup")
    log("counting queries at 1× and 10× data")
    counts_1x, counts_10x = probe(small_url, "counts"), probe(url, "counts")
    sessions = probe(url, "personas")["sessions"]
    log(f"starting gunicorn ({workers} workers) on 127.0.0.1")
    server = Server(url, workers)
    pages = {}
    try:
        for name, persona, path in PAGES:
            if only and name not in only:
                continue
            log(f"measuring {name}")
            page = measure(server, path.format(slug=SLUG), sessions[persona], requests, clients)
            floor = measure(server, floor_path(name).format(slug=SLUG), sessions[persona], requests, clients)
            pages[name] = {
                "path": path.format(slug=SLUG),
                **page,
                "queries_1x": counts_1x[name],
                "queries_10x": counts_10x[name],
                "floor": floor,
                "throughput_vs_floor": round(page["rps"] / floor["rps"], 2),
                "p95_vs_floor": round(page["p95_ms"] / max(floor["p95_ms"], 0.1), 1),
            }
        web_rss = server.worker_rss()
    finally:
        server.stop()
    jobs, worker_rss = {"ingest": None, "sweeps": None}, 0.0
    if not only or "jobs" in only:
        log("nightly sweeps and the 250k-row LMS ingest in a Celery worker")
        scratch = Path(tempfile.mkdtemp(prefix="hmis-bench-"))
        worker = Worker(url, scratch)
        try:
            jobs = worker.run(scratch / "jobs.json", timeout=1800)
        finally:
            worker_rss = worker.stop()
            shutil.rmtree(scratch, ignore_errors=True)
    summary = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": {"name": "metro", "scale": scale, "small_scale": scale / 10},
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "only": sorted(only),
        "settings": {
            "requests_per_page": requests,
            "concurrent_clients": clients,
            "gunicorn_workers": workers,
        },
        "pages": pages,
        "ingest": jobs["ingest"],
        "sweeps": jobs["sweeps"],
        "rss_mb": {"web_worker_peak": max(web_rss, default=0.0), "celery_worker_peak": worker_rss},
        "seed_seconds": seed_seconds,
        "bench_seconds": round(time.perf_counter() - started, 1),
        "targets": TARGETS,
    }
    summary["missed"] = verdicts(summary)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("partial.json" if only else "latest.json")).write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    print()
    print(table(summary))


if __name__ == "__main__":
    main()
