"""The Slack Web API client and the few helpers every listener shares."""

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.platform.i18n import gettext_for, language_from_locale

log = logging.getLogger(__name__)

# Errors that mean "Rumbo cannot post in this channel", worth telling the user about.
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}

# Errors that mean "this user cannot get a direct message from Rumbo".
DM_ERRORS = CHANNEL_ERRORS | {"cannot_dm_bot", "user_not_found", "user_disabled",
                              "not_allowed_token_type", "messages_tab_disabled"}


def make_client(*, token: str | None, base_url: str, team_id: str | None = None) -> WebClient:
    """A WebClient that honours SLACK_API_URL, retries what is worth retrying (rate limits
    after Retry-After, 5xx answers, dropped connections) and counts its calls."""
    from bot.platform.observability import CountedRateLimitHandler, CountedWebClient

    return CountedWebClient(
        token=token,
        base_url=base_url,
        team_id=team_id,
        timeout=10,
        retry_handlers=[
            CountedRateLimitHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


Clients = Callable[[str], WebClient | None]


class SharedClients:
    """One WebClient per bot token (and workspace, for an organisation's token), shared by
    every request and the outbox: a WebClient keeps nothing between calls, so none needs
    building per request. Tokens replaced by rotation are let go in bulk."""

    LIMIT = 1000

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._clients: dict[tuple[str, str | None], WebClient] = {}
        self._lock = threading.Lock()

    def get(self, token: str, team_id: str | None = None) -> WebClient:
        client = self._clients.get((token, team_id))
        if client is None:
            client = make_client(token=token, base_url=self.base_url, team_id=team_id)
            with self._lock:
                if len(self._clients) >= self.LIMIT:
                    self._clients.clear()
                self._clients[(token, team_id)] = client
        return client


def clients_of(client: WebClient | Clients) -> Clients:
    """A workspace's client: the one client of a single-workspace install, or each
    installation's own (bot/platform/installations.py, None where Rumbo is not installed)."""
    return client if callable(client) and not isinstance(client, WebClient) else (
        lambda _team_id: client)


def slack_error(error: SlackApiError) -> str:
    return str(error.response.get("error", "unknown_error"))


class UserDirectory:
    """Each user's language, timezone and name (users.info with include_locale), cached a
    while so that a busy meeting does not ask Slack again and again."""

    def __init__(self, ttl_seconds: float = 3600):
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def _user(self, client: WebClient, user_id: str) -> dict:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, slack_error(error))
            return {}
        with self._lock:
            self._cache[user_id] = (now, user)
        return user

    def known_language(self, user_id: str) -> str | None:
        """The user's language if Slack told it already: no call, for use before an ack."""
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is None or time.monotonic() - cached[0] >= self._ttl:
            return None
        return language_from_locale(cached[1].get("locale"))

    def profile(self, client: WebClient, user_id: str) -> tuple[str, str]:
        """(language, timezone) of a user; English and UTC when Slack cannot tell."""
        user = self._user(client, user_id)
        return language_from_locale(user.get("locale")), user.get("tz") or "UTC"

    def can_message(self, client: WebClient, user_id: str, team_id: str) -> bool:
        """Whether Rumbo may send the user a direct message: a full member of the plan's own
        workspace, not a guest nor someone from another organisation (Slack Connect)."""
        user = self._user(client, user_id)
        return bool(user) and not any(user.get(flag) for flag in (
            "is_restricted", "is_ultra_restricted", "is_bot", "deleted")) and user.get(
            "team_id", team_id) == team_id

    def names(self, client: WebClient, user_id: str) -> list[str]:
        """Every name the user goes by (real, display, handle), for matching what people
        typed (an imported sheet's owners); none when Slack cannot tell."""
        user = self._user(client, user_id)
        profile = user.get("profile") or {}
        found = (profile.get("real_name"), profile.get("display_name"), user.get("name"))
        return list(dict.fromkeys(name for name in found if name))

    def name(self, client: WebClient, user_id: str) -> str:
        """The name people know the user by; the id when Slack cannot tell."""
        user = self._user(client, user_id)
        profile = user.get("profile") or {}
        return (profile.get("real_name") or profile.get("display_name") or user.get("name")
                or user_id)


class ChannelMembers:
    """Who is in a channel (conversations.members), cached a while. Only a channel's members
    may act on its plan: guests and Slack Connect clients included, others not."""

    def __init__(self, ttl_seconds: float = 600, recheck_seconds: float = 30):
        self._ttl, self._recheck = ttl_seconds, recheck_seconds
        self._lists: dict[str, tuple[float, set[str]]] = {}  # channel -> (fetched, members)
        self._seen: dict[tuple[str, str], float] = {}  # (channel, user) -> when
        self._lock = threading.Lock()

    def saw(self, channel_id: str, user_id: str) -> None:
        """Slack itself placed the user in the channel (a slash command typed there)."""
        with self._lock:
            self._seen[(channel_id, user_id)] = time.monotonic()

    def of(self, client: WebClient, channel_id: str) -> set[str]:
        """Everyone in the channel (from the cache while it is fresh); empty when Slack
        cannot tell."""
        now = time.monotonic()
        with self._lock:
            fetched, members = self._lists.get(channel_id, (None, set()))
        if fetched is not None and now - fetched < self._ttl:
            return set(members)
        return set(self._refetch(client, channel_id, now) or ())

    def includes(self, client: WebClient, channel_id: str, user_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get((channel_id, user_id))
            fetched, members = self._lists.get(channel_id, (None, set()))
        if seen is not None and now - seen < self._ttl:
            return True
        if fetched is not None and (now - fetched < self._recheck
                                    or (user_id in members and now - fetched < self._ttl)):
            return user_id in members
        fresh = self._refetch(client, channel_id, now)
        return fresh is not None and user_id in fresh

    def _refetch(self, client: WebClient, channel_id: str, now: float) -> set[str] | None:
        """The members, asked of Slack and cached; None when Slack cannot tell."""
        try:
            members = self._fetch(client, channel_id)
        except SlackApiError as error:
            log.warning("conversations.members failed for %s: %s", channel_id,
                        slack_error(error))
            return None
        with self._lock:
            self._lists[channel_id] = (now, members)
        return members

    @staticmethod
    def _fetch(client: WebClient, channel_id: str) -> set[str]:
        members: set[str] = set()
        cursor = None
        while True:
            page = client.conversations_members(channel=channel_id, cursor=cursor, limit=1000)
            members |= set(page["members"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members


def tell_user(client: WebClient, *, channel_id: str | None, user_id: str, message: dict,
              respond=None) -> None:
    """An ephemeral message in the channel; where Slack will not show one there (someone
    not in it clicked), through the click's response_url (`respond`), which reaches
    whoever clicked; else a direct message."""
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
            return
        except SlackApiError as error:
            log.warning("chat.postEphemeral to %s failed: %s", channel_id, slack_error(error))
    if getattr(respond, "response_url", None):
        answered = respond(response_type="ephemeral", replace_original=False, **message)
        if answered.status_code == 200:
            return
        log.info("could not answer through the response_url: %s", answered.status_code)
    try:
        client.chat_postMessage(channel=user_id, **message)
    except SlackApiError as error:
        log.error("could not reach user %s at all: %s", user_id, slack_error(error))


def channel_problem(error: SlackApiError | None, lang: str) -> str:
    """What to tell a user when Rumbo cannot post in their channel."""
    _ = gettext_for(lang)
    code = slack_error(error) if error is not None else "unknown_error"
    if code in CHANNEL_ERRORS:
        return _("I can't post in this channel. Invite me with `/invite @Rumbo` and try again.")
    return _("Slack didn't accept my message ({error}). Please try again in a moment.").format(
        error=code)
