"""What a web worker holds (`casework bench memory`): it starts without the libraries only some requests
or the schema's upgrade need, and serves pages in Chinese and in English without babel's global tables.
Each check runs in a fresh process, as a worker starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine import identity

REPO = Path(__file__).resolve().parents[1]

WORKER = """
import json, sys
from pathlib import Path
import workflows
from engine import config as config_module
from engine.context import EngineContext
from webui.app import create_app

ctx = EngineContext.create(config_module.load(Path("config.yaml"), environ={}).replace(database__url=sys.argv[1]))
workflows.install(ctx)
app = create_app(ctx=ctx)
app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"openpyxl", "alembic", "mako", "pygments"})
pages = {}
for name in ("ann", "bob"):
    client = app.test_client()
    assert client.post("/sign-in", data={"username": name, "password": "secret-pw"}).status_code == 302
    pages[name] = client.get("/inbox").get_data(as_text=True)
import babel.core
print(json.dumps({"heavy": heavy, "pages": pages, "babel_global_tables": babel.core._global_data is not None}))
"""


def test_a_worker_starts_lean_and_serves_both_languages_without_babels_global_tables(ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])  # zh_CN, the default
        identity.add_user(session, "bob", "secret-pw", ["clerks"], language="en")
    out = subprocess.run([sys.executable, "-c", WORKER, ctx.db.url], cwd=REPO, capture_output=True, text=True,
                         check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []  # Excel and Alembic come with the first export or a schema upgrade only
    assert ">待办<" in found["pages"]["ann"] and ">Inbox<" in found["pages"]["bob"]
    assert found["babel_global_tables"] is False
