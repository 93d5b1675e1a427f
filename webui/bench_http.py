"""`casework bench http`: whole cases per second over real HTTP against `casework serve`.

A whole case is what bench scale times in process: a deputy starts a case of the example process,
the liaison office reviews it, the unit's clerk replies (three POSTs, each answered with the case).
Here they go over sockets to a served process, from `clients` threads at once, each on a kept-alive
connection. Configurations, in one run:

- SQLite: `casework serve` (one process, waitress threads, the scheduler inside);
- PostgreSQL, when CASEWORK_DATABASE_URL (or `postgres`) names a server: one process as above, then
  `casework serve --workers N` (gunicorn, the scheduler a process of its own) for each N > 1 asked.

Each runs on a fresh database seeded with the example process and its people (a throwaway PostgreSQL
database, dropped afterwards). Beside cases per second: the served processes' CPU time per case (from
/proc; steadier than the wall clock on a shared machine) and the load average. The clients share the
machine with the server, so more workers than free cores measure the clients as well. The last line
printed is one JSON object.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from engine import config as config_module
from engine import migrate
from engine.context import EngineContext

from . import bench

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str) -> None:
    import workflows

    ctx = EngineContext.create(config_module.load().replace(database__url=url))
    workflows.install(ctx)
    try:
        migrate.upgrade(ctx.db)
        bench._seed(ctx, "example")
    finally:
        ctx.db.dispose()


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants now alive (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(times.get(pid, 0.0) for pid in tree)


class Person:
    """One person's kept-alive connection and token."""

    def __init__(self, port: int, username: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        token = self.call("POST", "/api/v1/auth/token", {"username": username, "password": bench.PASSWORD})["token"]
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = getattr(self, "headers", {"Content-Type": "application/json"})
        data = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # the server closed the kept-alive connection while it was idle (gunicorn's keepalive): again
            self.conn.close()
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
        payload = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {payload[:300]!r}")
        return json.loads(payload)


def _whole_case(people: dict[str, Person], i: int) -> None:
    case = people[bench.DEPUTY].call("POST", "/api/v1/cases", {
        "process_key": "quick_reply", "title": f"基准测试意见 {i}", "data": {"proposer": bench.DEPUTY}})
    case = people[bench.LIAISON].call("POST", f"/api/v1/tasks/{case['active_tasks'][0]['id']}/complete",
                                      {"data": {"decision": "accept", "unit": "unit_transport", "urgent": False}})
    people[bench.UNIT_CLERK].call("POST", f"/api/v1/tasks/{case['active_tasks'][0]['id']}/complete",
                                  {"data": {"reply": "已办理", "result_class": "A"}})


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {server.communicate()[0][-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up in 60 s")


def measure(url: str, workers: int, clients: int, cases: int) -> dict[str, Any]:
    """Serve `url` with `workers` processes and play `cases` whole cases from `clients` threads."""
    port = _free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SERVER_PORT": str(port),
           "CASEWORK_SERVER_HOST": "127.0.0.1", "CASEWORK_SERVER_SECRET_KEY": secrets.token_hex(32),
           "CASEWORK_LOGGING_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--workers", str(workers)], cwd=REPO,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_up(port, server)
        crews = [{name: Person(port, name) for name in (bench.DEPUTY, bench.LIAISON, bench.UNIT_CLERK)}
                 for _ in range(clients)]
        for crew in crews:  # warm every worker's caches (specs, forms, statements)
            _whole_case(crew, -1)
        counter, lock, errors = iter(range(cases)), threading.Lock(), []

        def play(crew: dict[str, Person]) -> None:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                try:
                    _whole_case(crew, i)
                except Exception as err:  # noqa: BLE001  (reported, the run goes on)
                    errors.append(str(err)[:200])

        threads = [threading.Thread(target=play, args=(crew,)) for crew in crews]
        cpu_before, started = _tree_cpu_seconds(server.pid), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds, cpu = time.perf_counter() - started, _tree_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        try:
            server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    done = cases - len(errors)
    return {"workers": workers, "clients": clients, "cases": done, "errors": len(errors),
            "first_error": errors[0] if errors else None, "seconds": round(seconds, 2),
            "cases_per_second": round(done / seconds, 2), "server_cpu_ms_per_case": round(cpu / max(done, 1) * 1000, 2),
            "load_average": round(os.getloadavg()[0], 2)}


def run(cases: int = 300, clients: int = 4, workers: tuple[int, ...] = (2, 4), postgres: str | None = None,
        progress: Any = print) -> int:
    config = config_module.load()
    postgres = postgres or (config["database.url"] if config["database.url"].startswith("postgresql") else None)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="casework-bench-http-") as folder:
        url = f"sqlite:///{folder}/http.db"
        _seed(url)
        results.append({"database": "sqlite", **measure(url, 1, clients, cases)})
        progress(_line(results[-1]))
    for count in (1, *[w for w in workers if w > 1]) if postgres else ():
        url = bench._postgres_database(postgres)
        try:
            _seed(url)
            results.append({"database": "postgresql", **measure(url, count, clients, cases)})
            progress(_line(results[-1]))
        finally:
            bench._drop_postgres_database(postgres, url)
    print(json.dumps({"benchmark": "http", "runs": results}, ensure_ascii=False))
    return 0 if all(not r["errors"] for r in results) else 1


def _line(result: dict[str, Any]) -> str:
    return (f"{result['database']:10} {result['workers']} worker(s), {result['clients']} clients: "
            f"{result['cases_per_second']:>6} whole cases/s, server CPU {result['server_cpu_ms_per_case']} ms a case, "
            f"load {result['load_average']}" + (f", {result['errors']} errors ({result['first_error']})"
                                                if result["errors"] else ""))
