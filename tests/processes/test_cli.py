"""The `rumbo` command as an operator runs it, each a process of its own: settings errors
are one clear line, never a traceback; migrate, worker, purge, sandbox. `rumbo serve`:
tests/processes/test_serve.py."""

import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlmodel import select

from storage.db import new_session
from storage.models import Category, Plan
from tests.factories import create

pytestmark = pytest.mark.process


def rumbo(*args, env=None, cwd):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    return subprocess.run([sys.executable, "-m", "bot.platform.cli", *args], capture_output=True,
                          text=True, env={**clean, **(env or {})}, cwd=cwd, timeout=60)






def test_a_bad_setting_stops_the_process_with_one_line_and_code_2(tmp_path):
    """Every setting's line is checked in tests/platform/test_cli.py; here the process
    around it: nothing else on stderr (no traceback, no warning), exit code 2."""
    result = rumbo("worker", env={"SLACK_BOT_TOKEN": "not-a-token"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("rumbo: SLACK_BOT_TOKEN is malformed")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_migrate_creates_the_sqlite_database_by_default(tmp_path):
    result = rumbo("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rumbo.db").exists()
    assert rumbo("migrate", cwd=tmp_path).returncode == 0  # idempotent


def test_an_unreachable_database_is_one_line(tmp_path):
    result = rumbo("migrate", env={"DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
                   cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("rumbo: cannot use the database at DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_worker_runs_the_scheduler_and_stops_cleanly(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.platform.cli", "worker"], cwd=tmp_path, text=True,
        env={**clean, "SLACK_BOT_TOKEN": "xoxb-test"}, stderr=subprocess.PIPE)
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if "rumbo: scheduler started" in line:
                break
        # Keep reading what it says, so a full pipe never holds it up.
        reader = threading.Thread(target=lambda: seen.extend(process.stderr), daemon=True)
        reader.start()
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            raise AssertionError("".join(seen[-30:])) from None
    finally:
        process.kill()


def test_purge_deletes_one_workspace_now_and_nothing_of_another(sqlite_engine, tmp_path):
    with new_session(sqlite_engine) as db:
        create(db, channel="C0ACME", key="a", team="T0ACME")
        create(db, channel="C0GLOBEX", key="g", team="T0GLOBEX")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    done = rumbo("purge", "--team", "T0ACME", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rumbo: deleted ") and "T0ACME" in done.stdout
    with new_session(sqlite_engine) as db:
        assert [p.team_id for p in db.exec(select(Plan))] == ["T0GLOBEX"]
        assert db.exec(select(Category).where(Category.team_id == "T0ACME")).all() == []


def test_sandbox_says_it_listens_on_loopback_only(tmp_path):
    from tests.processes.servers import free_port

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.platform.cli", "sandbox", "--port", str(free_port()), "--data",
         str(tmp_path / "data")], cwd=tmp_path, env=clean, text=True, stdout=subprocess.PIPE)
    try:
        line = process.stdout.readline()
        assert line.startswith("Rumbo sandbox: http://127.0.0.1:") and "loopback only" in line
        assert (tmp_path / "data" / "rumbo-sandbox.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=20)
