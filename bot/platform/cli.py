"""`rumbo`: serve, socket, worker, migrate, sandbox, purge."""

import argparse
import logging
import os
import signal
import sys
import threading

from sqlalchemy.exc import SQLAlchemyError

from bot.platform.settings import Settings, SettingsError, load_settings
from storage.db import make_engine, migrate

log = logging.getLogger("rumbo")


def _prepare(settings: Settings):
    from bot.platform.observability import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def cmd_migrate(settings: Settings, _args) -> None:
    _prepare(settings)
    print("rumbo: database is up to date")


def cmd_serve(settings: Settings, args) -> None:
    settings.require_slack("slack_signing_secret")
    _prepare(settings).dispose()
    port = args.port or settings.port
    log.info("serving on %s:%s (POST /slack/events, GET /healthz)", args.host, port)
    # A fresh process for gunicorn's master: it keeps none of what the checks above
    # imported; its worker loads the app (bot/platform/server.py).
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "bot.platform.server", args.host, str(port)]
    os.execv(sys.executable, argv + (["--no-scheduler"] if args.no_scheduler else []))  # noqa: S606


def cmd_socket(settings: Settings, _args) -> None:
    settings.require("slack_bot_token", "slack_app_token")  # Socket Mode: one workspace
    engine = _prepare(settings)
    from bot.outbox.ticks import start_in_background
    from bot.platform.app import create_app
    from bot.platform.socket_mode import RumboSocketModeHandler

    app = create_app(settings, engine)
    scheduler = start_in_background(app.rumbo.outbox, settings)
    handler = RumboSocketModeHandler(app, settings.slack_app_token)
    stop = _stop_on_signals()
    handler.connect()
    _until(stop)
    # Stop taking envelopes, then finish what was taken (all of it is stored already).
    handler.close()
    scheduler.shutdown()
    app.rumbo.background.shutdown()


def _stop_on_signals() -> threading.Event:
    """SIGTERM (a deploy, a scale-down) and SIGINT ask for a clean stop."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _until(stop: threading.Event) -> None:
    """Wait for a stop signal. In short waits: a signal delivered to another thread only
    flags it, and Python runs its handler once the main thread wakes."""
    while not stop.wait(0.5):
        pass


def cmd_worker(settings: Settings, _args) -> None:
    settings.require_slack()
    engine = _prepare(settings)
    from bot.outbox.ticks import start_in_background
    from bot.platform.app import make_outbox

    stop = _stop_on_signals()
    scheduler = start_in_background(make_outbox(settings, engine), settings)
    _until(stop)
    scheduler.shutdown()


def cmd_sandbox(settings: Settings, args) -> None:
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    from pathlib import Path

    from bot.sandbox.server import serve

    serve(port=args.port, data_dir=Path(args.data))


def cmd_purge(settings: Settings, args) -> None:
    """Delete one workspace's data at once (a deletion request)."""
    from storage import installations
    from storage.db import new_session

    with new_session(_prepare(settings)) as db:
        removed = installations.purge(db, team_id=args.team)
        db.commit()
    print(f"rumbo: deleted {removed} rows of workspace {args.team}")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="rumbo", description="Strategic account planning in Slack.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104  (a server's default)
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    serve.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler")
    serve.set_defaults(run=cmd_serve)
    commands.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)").set_defaults(
        run=cmd_socket)
    commands.add_parser("worker", help="the scheduler alone").set_defaults(run=cmd_worker)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    sandbox = commands.add_parser("sandbox", help="try Rumbo in the browser, no Slack needed")
    sandbox.add_argument("--port", type=int, default=8765, help="loopback port (default 8765)")
    sandbox.add_argument("--data", default="sandbox-data", help="folder for its database")
    sandbox.set_defaults(run=cmd_sandbox)
    purge = commands.add_parser("purge", help="delete one workspace's data now")
    purge.add_argument("--team", required=True, help="the workspace id, T…")
    purge.set_defaults(run=cmd_purge)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(load_settings(), args)
    except SettingsError as error:
        print(f"rumbo: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"rumbo: cannot use the database at DATABASE_URL: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
