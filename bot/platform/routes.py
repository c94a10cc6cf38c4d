"""Which handler answers a click or a modal: one table, looked up by id.

Capabilities register their handlers here (`routes.action(id)(listener)`, as they would on
Bolt's App), and Bolt gets one listener for all clicks and one for all submissions. Bolt
tries every registered listener's matcher in turn until one matches, building its
arguments each time: with Rumbo's seventy listeners that search cost more CPU than a
stored write. Commands and events are few: each has a Bolt listener of its own.
"""

import logging
import re
from collections.abc import Callable

from slack_bolt import App

from storage import requests

log = logging.getLogger("rumbo")
Listener = Callable[..., None]  # a Bolt listener: (ack, body, context, client[, respond])


def once_each(listener: Listener) -> Listener:
    """An event handled once: Slack retries an event it got no answer for (up to 3 times),
    to whichever instance; the first process to note its event_id in the database handles
    it, the others only answer (Bolt does not de-duplicate)."""

    def handle(ack, body, context, client, respond):
        if body.get("event_id"):
            with context["rumbo"].db() as db:
                first = requests.first_sighting(db, team_id=context.get("team_id") or "",
                                                key=f"seen:{body['event_id']}",
                                                now=context["rumbo"].clock())
                db.commit()
            if not first:
                return ack()
        listener(ack=ack, body=body, context=context, client=client, respond=respond)

    return handle


class Routes:
    def __init__(self, app: App):
        self.app = app
        self.actions: dict[str | tuple[str, str], Listener] = {}
        self.views: dict[str, Listener] = {}
        self.commands: list[tuple[str, Listener]] = []
        self.events: list[tuple[str, Listener]] = []

    def action(self, constraint: str | dict[str, str]) -> Callable[[Listener], Listener]:
        """A click's handler, by its action_id (or {"block_id", "action_id"})."""
        key = (constraint if isinstance(constraint, str)
               else (constraint["block_id"], constraint["action_id"]))
        return lambda listener: self._add(self.actions, key, listener)

    def view(self, callback_id: str) -> Callable[[Listener], Listener]:
        """A modal submission's handler, by the modal's callback_id."""
        return lambda listener: self._add(self.views, callback_id, listener)

    def command(self, name: str) -> Callable[[Listener], Listener]:
        return lambda listener: self._add_to(self.commands, name, listener)

    def event(self, event_type: str) -> Callable[[Listener], Listener]:
        return lambda listener: self._add_to(self.events, event_type, once_each(listener))

    @staticmethod
    def _add_to(listeners: list, name: str, listener: Listener) -> Listener:
        listeners.append((name, listener))
        return listener

    @staticmethod
    def _add(table: dict, key, listener: Listener) -> Listener:
        if key in table:
            raise ValueError(f"{key} has a handler already")
        table[key] = listener
        return listener

    def install(self) -> None:
        """Bolt's listeners, the most frequent first (Bolt tries them in order): one for
        every click, `/plan`, one for every submission, then the events."""
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
        for name, listener in self.commands:
            self.app.command(name)(listener)
        self.app.view_submission(re.compile(".*"))(submitted)
        for event_type, listener in self.events:
            self.app.event(event_type)(listener)
