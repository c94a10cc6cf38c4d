"""The Bolt app factory: one workspace with a bot token, or any number through OAuth."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from sqlalchemy.engine import Engine

from bot.outbox.cards import Cards
from bot.outbox.sender import Sender
from bot.platform.deps import Background, Deps
from bot.platform.installations import RumboInstallationStore, RumboStateStore, Sealed
from bot.platform.observability import arrived, counted
from bot.platform.settings import Settings
from bot.platform.slack import Clients, UserDirectory, clients_of, make_client
from storage import plans, requests
from storage.db import new_session
from storage.types import utc_now

log = logging.getLogger("rumbo")


def once_per_event(engine: Engine):
    """A Bolt middleware: Slack retries an event it got no answer for (up to 3 times), to
    whichever instance; the first process to note its event_id in the database handles
    it, the others answer at once (Bolt does not de-duplicate)."""

    def middleware(body, context, next):
        if body.get("type") == "event_callback" and body.get("event_id"):
            with new_session(engine) as db:
                first = requests.first_sighting(db, team_id=context.get("team_id") or "",
                                                key=f"seen:{body['event_id']}")
                db.commit()
            if not first:
                return BoltResponse(status=200, body="")
        return next()

    return middleware


# The bot scopes the app asks for when it is installed (manifest.yml says the same).
BOT_SCOPES = ("commands", "chat:write", "users:read", "channels:read", "groups:read",
              "channels:history", "groups:history", "im:history", "im:write", "files:write",
              "canvases:write", "canvases:read")


def installation_store(settings: Settings, engine: Engine,
                       clock: Callable[[], datetime] = utc_now) -> RumboInstallationStore:
    client_id, client_secret, key = settings.oauth_credentials()
    return RumboInstallationStore(engine, sealed=Sealed(key), clock=clock, client_id=client_id,
                                  client_secret=client_secret, api_url=settings.slack_api_url)


def workspace_clients(settings: Settings, engine: Engine,
                      clock: Callable[[], datetime] = utc_now) -> Clients:
    """Each workspace's Slack client: its installation's token in OAuth mode, else the bot
    token of the one workspace."""
    if settings.oauth_mode:
        return installation_store(settings, engine, clock).client_for
    return clients_of(make_client(token=settings.slack_bot_token,
                                  base_url=settings.slack_api_url))


def make_outbox(settings: Settings, engine: Engine, clock: Callable[[], datetime] = utc_now, *,
                cards: Cards | None = None, users: UserDirectory | None = None) -> Sender:
    """The outbox's sender and the live cards, each workspace with its own token."""
    clients = workspace_clients(settings, engine, clock)
    return Sender(engine, clients, clock, cards=cards or Cards(engine, clients, clock),
                  lease=timedelta(seconds=settings.rumbo_lease_seconds), users=users)


class ChannelOwnerAuthorize(InstallationStoreAuthorize):
    """Bolt's authorize, and for someone from an organisation that did not install Rumbo
    (a Slack Connect client), the installation of the workspace whose plan the channel
    holds: they take part there, never elsewhere."""

    def __init__(self, store: RumboInstallationStore, engine: Engine, api_url: str):
        super().__init__(logger=log, installation_store=store,
                         client=make_client(token=None, base_url=api_url))
        self.engine = engine

    def __call__(self, *, context: BoltContext, enterprise_id: str | None,
                 team_id: str | None, user_id: str | None, **actor: str | None
                 ) -> AuthorizeResult | None:
        found = super().__call__(context=context, enterprise_id=enterprise_id,
                                 team_id=team_id, user_id=user_id, **actor)
        if found is not None or not context.channel_id:
            return found
        with new_session(self.engine) as db:
            owner = plans.channel_owner(db, channel_id=context.channel_id)
        if owner is None or owner == team_id:
            return None
        return super().__call__(context=context, enterprise_id=None, team_id=owner,
                                user_id=user_id, **actor)


class RumboApp(App):
    """Bolt's App, with Rumbo's dependencies at hand for the scheduler and the shutdown."""

    rumbo: Deps


def oauth_app(settings: Settings, engine: Engine, clock) -> RumboApp:
    """A distributable app: /slack/install and /slack/oauth_redirect, Bolt's OAuth flow on
    Rumbo's own database."""
    store = installation_store(settings, engine, clock)
    api_root = settings.slack_api_url.removesuffix("api/")
    return RumboApp(
        client=make_client(token=None, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        installation_store=store,
        # Bolt's own authorize objects answer None too (no installation), as this one does.
        authorize=ChannelOwnerAuthorize(store, engine, settings.slack_api_url),  # type: ignore[arg-type]
        oauth_settings=OAuthSettings(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
            scopes=(settings.slack_scopes.split(",") if settings.slack_scopes
                    else list(BOT_SCOPES)),
            redirect_uri=settings.slack_redirect_uri, installation_store=store,
            state_store=RumboStateStore(engine, clock),
            authorization_url=f"{api_root}oauth/v2/authorize"),
    )


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    background: Background | None = None,
) -> RumboApp:
    """The Bolt app, with Rumbo's dependencies (`Deps`) in every request's context; the work
    after its acks runs in `background` (threads of this process unless a test says)."""
    if settings.oauth_mode:
        app = oauth_app(settings, engine, clock)
    else:
        app = RumboApp(
            client=make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
            signing_secret=settings.slack_signing_secret,
            # Listeners answer when their function returns, after the write is committed;
            # the work after the ack runs on Rumbo's own threads (Deps.later).
            process_before_response=True,
            # auth.test runs on the first request instead of at start, so a start-up does
            # not depend on Slack being reachable.
            token_verification_enabled=False,
        )
    background = background or Background()
    users = UserDirectory()
    cards = Cards(engine, workspace_clients(settings, engine, clock), clock, background)
    deps = Deps(engine=engine, clock=clock, cards=cards, background=background, users=users,
                outbox=make_outbox(settings, engine, clock, cards=cards, users=users))
    app.middleware(once_per_event(engine))

    @app.middleware
    def provide_deps(body, context, next):
        """Rumbo's dependencies for the listeners; the request's ids for the logs and its
        arrival and Slack calls for the metrics (the ack is counted when it is given)."""
        context["rumbo"] = deps
        context["client"] = counted(context.client)
        arrived(body, context)
        next()

    register_listeners(app)
    app.rumbo = deps
    return app


def register_listeners(app: App) -> None:
    """Every capability's listeners, and the `/plan` router in front of them."""
    from bot.exports import listeners as exports
    from bot.help import listeners as help_
    from bot.home import listeners as home
    from bot.objectives import listeners as objectives
    from bot.plans import listeners as plans
    from bot.platform import installations
    from bot.reviews import listeners as reviews
    from bot.scoring import listeners as scoring
    from bot.sessions import listeners as sessions

    for module in (help_, plans, sessions, scoring, objectives, exports, reviews, home,
                   installations):
        module.register(app)
