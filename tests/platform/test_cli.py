"""The `rumbo` command's settings (bot/platform/cli.py, bot/platform/settings.py), its `main`
called in the test's process from an empty directory with a clean environment: a setting
missing or malformed stops it with one line, never a traceback; `.env` is read and the
environment wins. As a process of its own, and the commands that go further (migrate,
worker, purge, sandbox): tests/processes/test_cli.py."""

from types import SimpleNamespace

import pytest

from bot.platform import cli
from bot.platform.settings import Settings


@pytest.fixture
def rumbo(monkeypatch, tmp_path, capsys):
    """`rumbo ARGS` as cli.main runs it, in `tmp_path`, with only `env` set of Rumbo's
    settings: its exit code and what it wrote."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args, env=None):
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        for name in env or {}:
            monkeypatch.delenv(name)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["serve"], {}, "rumbo: SLACK_BOT_TOKEN is not set"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "rumbo: SLACK_SIGNING_SECRET is not set"),
        (["socket"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "rumbo: SLACK_APP_TOKEN is not set"),
        (["worker"], {}, "rumbo: SLACK_BOT_TOKEN is not set"),
        (["serve"], {"SLACK_BOT_TOKEN": "not-a-token"}, "rumbo: SLACK_BOT_TOKEN is malformed"),
        (["socket"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"},
         "rumbo: SLACK_APP_TOKEN is malformed"),
        (["migrate"], {"PORT": "eighty"}, "rumbo: PORT is malformed"),
        (["migrate"], {"SLACK_API_URL": "slack.com/api"}, "rumbo: SLACK_API_URL is malformed"),
    ],
)
def test_bad_settings_stop_with_one_line(rumbo, args, env, line):
    result = rumbo(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(line)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_dotenv_is_read_and_the_environment_wins(rumbo, tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\n")
    result = rumbo("serve")
    assert result.stderr.startswith("rumbo: SLACK_SIGNING_SECRET is not set")
    result = rumbo("serve", env={"SLACK_BOT_TOKEN": "bad"})
    assert result.stderr.startswith("rumbo: SLACK_BOT_TOKEN is malformed")
