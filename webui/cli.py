"""The `casework` command. It composes the three layers: engine, workflows (the domain) and the web app."""

from __future__ import annotations

import argparse
import glob
import logging
import signal
import sys
import threading
from pathlib import Path

from engine import config as config_module
from engine import migrate
from engine.bpmn import library
from engine.context import EngineContext
from engine.errors import CaseworkError

REPO = Path(__file__).resolve().parents[1]


def _context() -> EngineContext:
    try:
        config = config_module.load()
    except config_module.ConfigError as err:
        sys.exit(f"casework: {err}")
    import workflows

    ctx = EngineContext.create(config)
    workflows.install(ctx)
    return ctx


def _expand(patterns: list[str]) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        files.extend(matched)
    return files


def _read(paths: list[str]) -> dict[str, bytes]:
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        sys.exit("casework: no such file: " + ", ".join(missing))
    return library.read_files(paths)


def cmd_lint(args: argparse.Namespace) -> int:
    from engine.bpmn.lint import lint_files

    problems = lint_files(_read(_expand(args.files)))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s): no problems")
    return 1 if problems else 0


def _deploy(ctx: EngineContext, files: dict[str, bytes], who: str | None) -> int:
    try:
        with ctx.db.session() as session:
            deployed = library.deploy(session, files, deployed_by=who)
    except CaseworkError as err:
        print(f"casework: {err.message}", file=sys.stderr)
        for d in err.details:
            print(f"{d.get('file')}:{d.get('line') or ''}: {d.get('element_id') or ''}: {d.get('message')}")
        return 1
    for d in deployed:
        note = "new version" if d.created else "unchanged"
        print(f"{d.definition.key} version {d.definition.version} ({note})")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    ctx = _context()
    migrate.upgrade(ctx.db)
    return _deploy(ctx, _read(_expand(args.files)), args.user)


def cmd_init(args: argparse.Namespace) -> int:
    ctx = _context()
    migrate.upgrade(ctx.db)
    print(f"schema ready at {ctx.db.url}")
    generated = config_module.ensure_secret_key(ctx.config)
    if generated:
        print(f"generated the key that signs web sessions into {generated}")
    models = sorted(str(p) for p in (Path(args.bpmn_dir)).glob("*.bpmn"))
    if models and _deploy(ctx, library.read_files(models), "init") != 0:
        return 1
    if args.demo:
        from workflows import demo

        demo.load(ctx, progress=print)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from workflows import reindex

    ctx = _context()
    migrate.upgrade(ctx.db)
    reindex.reindex(ctx, progress=print)
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from engine import identity

    ctx = _context()
    migrate.upgrade(ctx.db)
    groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()]
    try:
        with ctx.db.session() as session:
            identity.add_user(session, args.name, args.password, groups, args.display_name or "",
                              email=args.email or None, phone=args.phone or None)
    except CaseworkError as err:
        print(f"casework: {err.message}", file=sys.stderr)
        return 1
    print(f"user {args.name} added" + (f" to {', '.join(groups)}" if groups else ""))
    return 0


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def _log_scheduler() -> None:
    """Say which scheduler holds the lease and which stand by (INFO, whatever the root level)."""
    logging.getLogger("engine.schedule.timers").setLevel(logging.INFO)


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import create_server

    from engine.schedule.timers import TimerDispatcher

    from .app import create_app

    ctx = _context()
    if config_module.secret_key(ctx.config) == config_module.SHIPPED_SECRET_KEY and not args.dev:
        print("casework: the key that signs web sessions is the shipped one (server.secret_key: "
              f"{config_module.SHIPPED_SECRET_KEY}); anyone could forge a session with it. Run `casework init` "
              "to generate one, set CASEWORK_SERVER_SECRET_KEY, or pass --dev on a development machine.",
              file=sys.stderr)
        return 2
    migrate.upgrade(ctx.db)
    host, port = args.host or ctx.config["server.host"], args.port or ctx.config["server.port"]
    if args.workers > 1:
        from . import serving

        ctx.db.dispose()  # the workers fork from this process: each opens its own connections
        return serving.run(host, port, args.workers, ctx.config["server.threads"], ctx.config["scheduler.enabled"])
    app = create_app(ctx=ctx)
    # the one place a web process starts a scheduler (create_app never does: gunicorn workers import it)
    dispatcher = TimerDispatcher(ctx) if ctx.config["scheduler.enabled"] else None
    if dispatcher:
        _log_scheduler()
        dispatcher.start()
    server = create_server(app, host=host, port=port, threads=ctx.config["server.threads"])
    print(f"Casework serving on http://{host}:{port}", flush=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_for_signal()
    finally:
        server.close()
        if dispatcher:
            dispatcher.stop()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from engine.schedule.timers import TimerDispatcher

    ctx = _context()
    migrate.upgrade(ctx.db)
    _log_scheduler()
    dispatcher = TimerDispatcher(ctx)
    dispatcher.start()
    print(f"Casework scheduler {dispatcher.holder} running (one at a time: the others stand by)", flush=True)
    try:
        _wait_for_signal()
    finally:
        dispatcher.stop()
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from engine.draw.render import RenderError, render_svg

    try:
        choice = int(args.diagram) if args.diagram and args.diagram.isdigit() else args.diagram
        svg = render_svg(Path(args.file).read_bytes(), diagram=choice)
    except (OSError, RenderError) as err:
        print(f"casework: cannot draw {args.file}: {err}", file=sys.stderr)
        return 1
    Path(args.output).write_text(svg, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from engine.bench import engine as bench

    if args.name == "sandbox":
        from engine.bench import sandbox as bench_sandbox

        return bench_sandbox.run(baseline=not args.no_baseline)
    if args.name == "timers":
        from engine.bench import timers as bench_timers

        return bench_timers.run(cases=args.cases or 10000, lone=args.lone)
    if args.name == "scale":
        from . import bench as bench_scale

        return bench_scale.run(cases=args.cases or 10000, repeat=args.repeat, seed=args.seed, keep=args.keep,
                               plans=args.plans)
    if args.name == "http":
        from . import bench_http

        return bench_http.run(cases=args.cases or 300, clients=args.clients, workers=args.workers,
                              postgres=args.postgres)
    if args.name == "memory":
        from . import bench_memory

        return bench_memory.run(requests=args.requests)
    if args.name == "similar":
        from . import bench_similar

        return bench_similar.run(cases=args.cases or 100_000, repeat=args.repeat)
    return bench.run(args.name, completions=args.completions)


def _worker_count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("a whole number from 1 to 64")
    return int(value)


def _worker_list(value: str) -> tuple[int, ...]:
    return tuple(_worker_count(v.strip()) for v in value.split(",") if v.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casework", description="BPMN case management for suggestions and proposals")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create or upgrade the schema, deploy bpmn/, optionally load demo data")
    p.add_argument("--demo", action="store_true", help="load the demo district")
    p.add_argument("--bpmn-dir", default=str(REPO / "bpmn"))
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("reindex", help="rebuild the search index and the battle map's milestones of every case")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("serve", help="the web app and the timer scheduler")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--dev", action="store_true",
                   help="allow the shipped session key (a development machine; never on a server)")
    p.add_argument("--workers", type=_worker_count, default=1,
                   help="web worker processes (gunicorn) beside one scheduler process; 1: one process with "
                        "threads and the scheduler inside (the default)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("scheduler", help="the timer scheduler alone")
    p.set_defaults(func=cmd_scheduler)

    users = sub.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add", help="create a user")
    p.add_argument("name")
    p.add_argument("--password", required=True)
    p.add_argument("--groups", default="")
    p.add_argument("--display-name", default="")
    p.add_argument("--email", default="", help="where reminders and escalations are mailed")
    p.add_argument("--phone", default="", help="where text messages (SMS) go, when sms.enabled")
    p.set_defaults(func=cmd_users_add)

    p = sub.add_parser("lint", help="check BPMN files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("deploy", help="lint, then deploy each file as a new version")
    p.add_argument("files", nargs="+")
    p.add_argument("--user", default=None, help="recorded as who deployed")
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("render", help="draw a BPMN file's diagrams as SVG (every diagram, or --diagram ID)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--diagram", metavar="ID", help="draw only this bpmndi:BPMNDiagram (its id, or its index from 0)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("bench", help="benchmarks; the last line is JSON")
    p.add_argument("name", choices=["engine", "timers", "scale", "sandbox", "memory", "http", "similar"])
    p.add_argument("--no-baseline", action="store_true", help="sandbox: skip the plain-Python baseline")
    p.add_argument("--completions", type=int, default=1000, help="engine: task completions to time")
    p.add_argument("--cases", type=int, default=None,
                   help="timers: cases, each with a timer due at one moment (10,000); scale: cases in the database "
                        "(10,000); http: whole cases played per configuration (300); similar: cases (100,000)")
    p.add_argument("--clients", type=int, default=4, help="http: client threads at once")
    p.add_argument("--workers", type=_worker_list, default=(2, 4),
                   help="http: gunicorn worker counts to run on PostgreSQL besides one process (2,4)")
    p.add_argument("--postgres", default=None,
                   help="http: a PostgreSQL server URL for the throwaway databases (else CASEWORK_DATABASE_URL "
                        "when it names PostgreSQL; else SQLite only)")
    p.add_argument("--repeat", type=int, default=15, help="scale: timed calls of each page (and whole cases)")
    p.add_argument("--seed", choices=["demo", "example"], default="demo",
                   help="scale: cases played before cloning (the demo district, or the four example cases)")
    p.add_argument("--keep", default=None,
                   help="scale: keep the database (SQLite: a file path; PostgreSQL: a database name), reused if there")
    p.add_argument("--plans", default=None, metavar="FILE",
                   help="scale: write the query plans of each page's slowest statements to FILE (Markdown)")
    p.add_argument("--requests", type=int, default=2000, help="memory: mixed requests served by one process")
    p.add_argument("--lone", type=int, default=20, help="timers: runs of a lone timer, for its lag")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
