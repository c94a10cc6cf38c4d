"""The Bolt app factory: one workspace with a bot token, or any number through OAuth."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from sqlalchemy.engine import Engine

from bot.outbox.cards import Cards
from bot.outbox.sender import Sender
from bot.platform.deps import Background, Deps
from bot.platform.installations import RumboInstallationStore, RumboStateStore, Sealed
from bot.platform.observability import arrived
from bot.platform.request import workspace_id
from bot.platform.routes import Routes
from bot.platform.settings import Settings
from bot.platform.slack import Clients, UserDirectory, clients_of, make_client
from storage import plans
from storage.db import new_session
from storage.types import utc_now

log = logging.getLogger("rumbo")


# The bot scopes the app asks for when it is installed (manifest.yml says the same).
BOT_SCOPES = ("commands", "chat:write", "users:read", "channels:read", "groups:read",
              "channels:history", "groups:history", "im:history", "im:write", "files:write",
              "files:read", "users:read.email", "canvases:write", "canvases:read")


def installation_store(settings: Settings, engine: Engine,
                       clock: Callable[[], datetime] = utc_now) -> RumboInstallationStore:
    client_id, client_secret, key = settings.oauth_credentials()
    return RumboInstallationStore(engine, sealed=Sealed(key), clock=clock, client_id=client_id,
                                  client_secret=client_secret, api_url=settings.slack_api_url)


def workspace_clients(settings: Settings, engine: Engine,
                      clock: Callable[[], datetime] = utc_now,
                      store: RumboInstallationStore | None = None) -> Clients:
    """Each workspace's Slack client: its installation's token in OAuth mode, else the bot
    token of the one workspace. One client a token, shared by requests and the outbox."""
    if settings.oauth_mode:
        return (store or installation_store(settings, engine, clock)).client_for
    return clients_of(make_client(token=settings.slack_bot_token,
                                  base_url=settings.slack_api_url))


def make_outbox(settings: Settings, engine: Engine, clock: Callable[[], datetime] = utc_now, *,
                clients: Clients | None = None, cards: Cards | None = None,
                users: UserDirectory | None = None) -> Sender:
    """The outbox's sender and the live cards, each workspace with its own token."""
    clients = clients or workspace_clients(settings, engine, clock)
    return Sender(engine, clients, clock, cards=cards or Cards(engine, clients, clock),
                  lease=timedelta(seconds=settings.rumbo_lease_seconds), users=users)


class ChannelOwnerAuthorize(Authorize):
    """Whom a request acts as: its workspace's installation, from Rumbo's store (kept a few
    seconds, so neither read nor decrypted per request) and with no auth.test, since the
    store holds the bot's ids already; and for someone from an organisation that did not
    install Rumbo (a Slack Connect client), the installation of the workspace whose plan the
    channel holds: they take part there, never elsewhere."""

    def __init__(self, store: RumboInstallationStore, engine: Engine):
        self.store, self.engine = store, engine

    def __call__(self, *, context: BoltContext, enterprise_id: str | None,
                 team_id: str | None, user_id: str | None, **actor: str | None
                 ) -> AuthorizeResult | None:
        found = self._installed(enterprise_id, team_id, bool(context.is_enterprise_install))
        if found is not None or not context.channel_id:
            return found
        with new_session(self.engine) as db:
            owner = plans.channel_owner(db, channel_id=context.channel_id)
        if owner is None or owner == team_id:
            return None
        return self._installed(None, owner, False)

    def _installed(self, enterprise_id: str | None, team_id: str | None,
                   is_enterprise_install: bool) -> AuthorizeResult | None:
        installation = self.store.find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install)
        if installation is None or not installation.bot_token:
            return None
        return AuthorizeResult(
            enterprise_id=installation.enterprise_id, team_id=installation.team_id,
            bot_user_id=installation.bot_user_id, bot_id=installation.bot_id,
            bot_token=installation.bot_token, bot_scopes=installation.bot_scopes)


class RumboApp(App):
    """Bolt's App, with Rumbo's dependencies at hand for the scheduler and the shutdown."""

    rumbo: Deps


def oauth_app(settings: Settings, engine: Engine, store: RumboInstallationStore,
              clock) -> RumboApp:
    """A distributable app: /slack/install and /slack/oauth_redirect, Bolt's OAuth flow on
    Rumbo's own database."""
    api_root = settings.slack_api_url.removesuffix("api/")
    return RumboApp(
        client=make_client(token=None, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        installation_store=store,
        # Bolt's own authorize objects answer None too (no installation), as this one does.
        authorize=ChannelOwnerAuthorize(store, engine),  # type: ignore[arg-type]
        oauth_settings=OAuthSettings(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
            scopes=(settings.slack_scopes.split(",") if settings.slack_scopes
                    else list(BOT_SCOPES)),
            redirect_uri=settings.slack_redirect_uri, installation_store=store,
            state_store=RumboStateStore(engine, clock),
            authorization_url=f"{api_root}oauth/v2/authorize"),
        **UNUSED_BOLT_FEATURES,
    )


# What Bolt does per request that Rumbo has no use for: workflow functions' tokens and the
# assistant's conversation helpers.
UNUSED_BOLT_FEATURES: dict[str, Any] = dict(attaching_function_token_enabled=False,
                                            attaching_conversation_kwargs_enabled=False)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    background: Background | None = None,
) -> RumboApp:
    """The Bolt app, with Rumbo's dependencies (`Deps`) in every request's context; the work
    after its acks runs in `background` (threads of this process unless a test says)."""
    store = installation_store(settings, engine, clock) if settings.oauth_mode else None
    clients = workspace_clients(settings, engine, clock, store)
    if store is not None:
        app = oauth_app(settings, engine, store, clock)
    else:
        app = RumboApp(
            client=clients(""),
            signing_secret=settings.slack_signing_secret,
            # Listeners answer when their function returns, after the write is committed;
            # the work after the ack runs on Rumbo's own threads (Deps.later).
            process_before_response=True,
            # auth.test runs on the first request instead of at start, so a start-up does
            # not depend on Slack being reachable.
            token_verification_enabled=False,
            **UNUSED_BOLT_FEATURES,
        )
    background = background or Background()
    users = UserDirectory()
    cards = Cards(engine, clients, clock, background)
    deps = Deps(engine=engine, clock=clock, cards=cards, background=background, users=users,
                outbox=make_outbox(settings, engine, clock, clients=clients, cards=cards,
                                   users=users),
                installations=store)

    @app.middleware
    def provide_deps(body, context, next):
        """Rumbo's dependencies for the listeners, and the workspace's shared client (Bolt
        makes one per request, which would not count its calls); the request's ids for the
        logs and its arrival for the metrics (the ack is counted when it is given)."""
        context["rumbo"] = deps
        context["client"] = clients(workspace_id(context)) or context.client
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
    from bot.imports import listeners as imports
    from bot.objectives import listeners as objectives
    from bot.plans import listeners as plans
    from bot.platform import installations
    from bot.reviews import listeners as reviews
    from bot.scoring import listeners as scoring
    from bot.sessions import listeners as sessions

    routes = Routes(app)
    for module in (help_, plans, sessions, scoring, objectives, exports, imports, reviews,
                   home, installations):
        module.register(routes)
    routes.install()
