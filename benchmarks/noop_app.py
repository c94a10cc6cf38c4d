"""A no-op Bolt app served exactly like `rumbo serve` (gunicorn, gthread, 1 worker x 8
threads, Bolt's WSGI adapter, Bolt's default settings): the yardstick of serve_latency.py.

    python benchmarks/noop_app.py PORT SLACK_API_URL SIGNING_SECRET
"""

import re
import sys

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.platform.server import GunicornServer


def load_app(api_url: str, signing_secret: str):
    app = App(client=WebClient(token="xoxb-test", base_url=api_url),
              signing_secret=signing_secret, token_verification_enabled=False)

    def ack_only(ack):
        ack()

    app.command("/plan")(ack_only)
    app.view(re.compile(".*"))(ack_only)
    app.action(re.compile(".*"))(ack_only)
    return SlackRequestHandler(app)


if __name__ == "__main__":
    port, api_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    GunicornServer(lambda: load_app(api_url, secret), host="127.0.0.1", port=port).run()
