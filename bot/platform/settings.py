"""Settings from the environment and `.env` (the environment wins)."""

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage import outbox


class SettingsError(Exception):
    """A missing or malformed setting; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///rumbo.db"
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"  # or json: one object per line
    # How long a process may hold a delivery it is sending before another takes it over.
    rumbo_lease_seconds: int = int(outbox.LEASE.total_seconds())
    # OAuth mode (a distributable app): Bolt's names for these.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_scopes: str | None = None  # comma-separated; default: the manifest's bot scopes
    slack_redirect_uri: str | None = None
    rumbo_encryption_key: str | None = None  # Fernet key for tokens at rest
    rumbo_retention_days: int = 30  # an uninstalled workspace's data is kept this long

    @property
    def oauth_mode(self) -> bool:
        """Installable in any workspace: a client id and secret, and no single bot token."""
        return bool(self.slack_client_id and self.slack_client_secret
                    and not self.slack_bot_token)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        if value and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value or None

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value or None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("must be between 1 and 65535")
        return value

    @field_validator("rumbo_lease_seconds")
    @classmethod
    def _lease(cls, value: int) -> int:
        if not 1 <= value <= 3600:
            raise ValueError("must be between 1 and 3600 seconds")
        return value

    @field_validator("rumbo_encryption_key")
    @classmethod
    def _encryption_key(cls, value: str | None) -> str | None:
        if not value:
            return None
        from cryptography.fernet import Fernet

        try:
            Fernet(value.encode())
        except ValueError:
            raise ValueError("must be a Fernet key: 32 url-safe base64-encoded bytes (see "
                             "the README)") from None
        return value

    @field_validator("rumbo_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if not 0 <= value <= 3650:
            raise ValueError("must be between 0 and 3650 days")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    def require_slack(self, *names: str) -> None:
        """The credentials to talk to Slack: a bot token, or in OAuth mode what installs
        and keeps each workspace's tokens; and `names` besides."""
        if self.oauth_mode:
            self.require("rumbo_encryption_key", *names)
        else:
            self.require("slack_bot_token", *names)

    def oauth_credentials(self) -> tuple[str, str, str]:
        """(client id, client secret, encryption key) of OAuth mode; each must be set."""
        self.require("slack_client_id", "slack_client_secret", "rumbo_encryption_key")
        return (str(self.slack_client_id), str(self.slack_client_secret),
                str(self.rumbo_encryption_key))

    def require(self, *names: str) -> None:
        for name in names:
            if not getattr(self, name):
                raise SettingsError(
                    f"{name.upper()} is not set: add it to the environment or to .env"
                )


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name} is malformed: {first['msg']}") from None
