"""`migrate.upgrade` recognises a database already at the head revision without importing Alembic (a
serving process then never holds it), and leaves every other case to Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from engine import migrate
from engine.store import Database

REPO = Path(__file__).resolve().parents[2]


def test_the_heads_read_from_the_scripts_are_alembics_heads(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    assert migrate.script_heads() == set(ScriptDirectory.from_config(migrate.alembic_config(db)).get_heads())
    db.dispose()


def test_a_script_that_does_not_read_plainly_leaves_the_decision_to_alembic(tmp_path):
    (tmp_path / "0001_a.py").write_text("revision = '0001'\ndown_revision = None\n")
    (tmp_path / "0002_b.py").write_text("revision = '0002'\ndown_revision = '0001'\n")
    assert migrate.script_heads(tmp_path) == {"0002"}
    (tmp_path / "0003_c.py").write_text("revision = '0003'\ndown_revision = ('0001', '0002')\n")
    assert migrate.script_heads(tmp_path) == {"0003"}  # a merge revises both
    (tmp_path / "0004_d.py").write_text("revision = make_id()\ndown_revision = '0003'\n")
    assert migrate.script_heads(tmp_path) is None


def test_a_database_at_head_is_upgraded_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = Database(url)
    assert not migrate.at_head(db)  # no alembic_version table yet
    migrate.upgrade(db)
    assert migrate.at_head(db)
    db.dispose()
    probe = ("import sys; from engine import migrate; from engine.store import Database; "
             f"db = Database({url!r}); migrate.upgrade(db); print(sorted(m for m in sys.modules if "
             "m.split('.')[0] in ('alembic', 'mako', 'pygments')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
