"""Which handler answers a click or a modal: one table, looked up by id.

Capabilities register their handlers here (`routes.action(id)(listener)`, as they would on
Bolt's App), and Bolt gets one listener for all clicks and one for all submissions. Bolt
tries every registered listener's matcher in turn until one matches, building its
arguments each time: with Rumbo's seventy listeners that search cost more CPU than a
stored write. Commands and events are few and go to Bolt as they are.
"""

import logging
import re
from collections.abc import Callable

from slack_bolt import App

log = logging.getLogger("rumbo")
Listener = Callable[..., None]  # a Bolt listener: (ack, body, context, client[, respond])


class Routes:
    def __init__(self, app: App):
        self.app = app
        self.actions: dict[str | tuple[str, str], Listener] = {}
        self.views: dict[str, Listener] = {}

    def action(self, constraint: str | dict[str, str]) -> Callable[[Listener], Listener]:
        """A click's handler, by its action_id (or {"block_id", "action_id"})."""
        key = (constraint if isinstance(constraint, str)
               else (constraint["block_id"], constraint["action_id"]))
        return lambda listener: self._add(self.actions, key, listener)

    def view(self, callback_id: str) -> Callable[[Listener], Listener]:
        """A modal submission's handler, by the modal's callback_id."""
        return lambda listener: self._add(self.views, callback_id, listener)

    def command(self, name: str):
        return self.app.command(name)

    def event(self, event_type: str):
        return self.app.event(event_type)

    @staticmethod
    def _add(table: dict, key, listener: Listener) -> Listener:
        if key in table:
            raise ValueError(f"{key} has a handler already")
        table[key] = listener
        return listener

    def install(self) -> None:
        """Bolt's one listener for every click and one for every submission."""
        def click(ack, body, context, client, respond):
            action = (body.get("actions") or [{}])[0]
            listener = (self.actions.get((action.get("block_id"), action.get("action_id")))
                        or self.actions.get(action.get("action_id")))
            if listener is None:
                log.warning("no handler for the action %s", action.get("action_id"))
                return ack()
            listener(ack=ack, body=body, context=context, client=client, respond=respond)

        def submitted(ack, body, context, client):
            listener = self.views.get(str((body.get("view") or {}).get("callback_id")))
            if listener is None:
                log.warning("no handler for the modal %s", body["view"].get("callback_id"))
                return ack()
            listener(ack=ack, body=body, context=context, client=client)

        self.app.block_action(re.compile(".*"))(click)
        self.app.view_submission(re.compile(".*"))(submitted)
