"""Sample Block Kit and helpers the stand-in's own tests share (tests/devslack/)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "test-signing-secret"  # noqa: S105 (the tests' own)


def serve(answer):
    """Serve answer(body: bytes, headers) -> (status, headers, body: str) on a free port."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, text = answer(body, self.headers)
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/slack/events"


def modal(callback_id="plan_modal", **extra):
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "New plan"},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [
            {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"},
             "element": {"type": "plain_text_input", "action_id": "v", "initial_value": "Q3"}},
            {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "Kind"},
             "element": {"type": "static_select", "action_id": "v", "options": [
                 {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
                 {"text": {"type": "plain_text", "text": "B"}, "value": "b"}],
                 "initial_option": {"text": {"type": "plain_text", "text": "B"}, "value": "b"}}},
            {"type": "input", "block_id": "tags", "optional": True,
             "label": {"type": "plain_text", "text": "Tags"},
             "element": {"type": "checkboxes", "action_id": "v", "options": [
                 {"text": {"type": "plain_text", "text": "X"}, "value": "x"},
                 {"text": {"type": "plain_text", "text": "Y"}, "value": "y"}]}},
            {"type": "input", "block_id": "due", "label": {"type": "plain_text", "text": "Due"},
             "element": {"type": "datepicker", "action_id": "v", "initial_date": "2024-05-01"}},
            {"type": "input", "block_id": "owner", "optional": True,
             "label": {"type": "plain_text", "text": "Owner"},
             "element": {"type": "users_select", "action_id": "v"}},
        ],
        **extra,
    }


APPROVE = [{"type": "actions", "block_id": "row", "elements": [
    {"type": "button", "action_id": "approve", "value": "p1",
     "text": {"type": "plain_text", "text": "Approve"}},
    {"type": "overflow", "action_id": "more", "options": [
        {"text": {"type": "plain_text", "text": "Delete"}, "value": "delete"}]},
]}]
