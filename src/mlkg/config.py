"""Settings, read from keyword arguments or ``MLKG_*`` environment variables (pydantic-settings).

There is no module-level instance: the CLI and ``create_app`` each build one and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_BASE_IRI", "DEFAULT_STORE", "MEMORY_STORE", "Settings"]

DEFAULT_BASE_IRI = "http://localhost:8000/id/"
DEFAULT_STORE = "./mlkg-data"
#: The ``--store`` value that selects an in-memory embedded store.
MEMORY_STORE = "memory:"


class Settings(BaseSettings):
    """Everything configurable in mlkg, with its documented default.

    Environment variables: ``MLKG_STORE``, ``MLKG_BASE_IRI``, ``MLKG_SPARQL_ENDPOINT``,
    ``MLKG_UPDATE_ENDPOINT``, ``MLKG_GSP_ENDPOINT``, ``MLKG_SPARQL_USER``, ``MLKG_SPARQL_PASSWORD``,
    ``MLKG_WRITE_TOKEN``, ``MLKG_MAX_DOCUMENT_BYTES``, ``MLKG_QUERY_TIMEOUT``, ``MLKG_MAX_REQUEST_DOCUMENTS``,
    ``MLKG_WRITE_TIMEOUT``, ``MLKG_QUERY_ISOLATION``, ``MLKG_SEARCH_INDEX``,
    ``MLKG_MAX_OVERDUE_QUERIES``, ``MLKG_OPENLINEAGE_NAMESPACES`` (a JSON object), ``MLKG_CORS_ORIGINS``,
    ``MLKG_ALLOWED_HOSTS`` and ``MLKG_WEBHOOK_ALLOW`` (comma-separated lists), ``MLKG_EVENTS_KEY_FILE``,
    ``MLKG_WEBHOOK_ATTEMPTS``, ``MLKG_WEBHOOK_BACKOFF``, ``MLKG_WEBHOOK_TIMEOUT``.
    """

    model_config = SettingsConfigDict(env_prefix="MLKG_", extra="ignore")

    store: str = Field(default=DEFAULT_STORE, description="Embedded store directory, or 'memory:'.")
    base_iri: str = Field(default=DEFAULT_BASE_IRI, description="Base of minted entity IRIs; ends with '/'.")
    sparql_endpoint: str | None = None
    update_endpoint: str | None = None
    gsp_endpoint: str | None = None
    sparql_user: str | None = None
    sparql_password: SecretStr | None = None
    write_token: SecretStr | None = None
    auth_reads: bool = Field(
        default=False,
        description=(
            "Require a principal for reads too (queries, exports, entity pages); by default reads are open "
            "(docs/architecture.md, section 10)."
        ),
    )
    max_document_bytes: int = Field(default=16 * 1024 * 1024, gt=0, description="Largest accepted input.")
    query_timeout: float = Field(default=30.0, gt=0, description="Seconds a query may run.")
    max_request_documents: int = Field(
        default=10_000,
        gt=0,
        description=(
            "Entity documents one JSON, JSON-LD or RDF request body may hold (413 past it, before any is "
            "read further); application/x-ndjson streams, written in batches, have no such limit."
        ),
    )
    write_timeout: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds a write may wait for the writes before it; past it the write is refused (503 with "
            "Retry-After) and nothing of it is written."
        ),
    )
    query_isolation: Literal["process", "thread"] = Field(
        default="process",
        description=(
            "Where the HTTP service runs /sparql and /queries/* on an on-disk embedded store: 'process', "
            "in a worker process killed when a query passes its time limit (so it stops using CPU then); "
            "'thread', in the server's own threads, where a query past its limit runs on to its end. "
            "In-memory and remote stores always use threads."
        ),
    )
    max_overdue_queries: int = Field(
        default=4,
        ge=1,
        description=(
            "Reads run in the server's threads that may still be running past their time limit; while this "
            "many are, new ones are refused at once (503 with Retry-After)."
        ),
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Origins (scheme://host[:port]) whose browser pages may call the API; '*' lets any page read. "
            "Empty (the default): no cross-origin access."
        ),
    )
    openlineage_namespaces: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "OpenLineage dataset namespaces to the service names that start mlkg's fully qualified names, "
            'as JSON: {"postgres://db.host:5432": "postgres_prod"}; an unmapped namespace gives its text '
            "with other characters than letters, digits, '_' and '-' as '_' (README, 'OpenLineage')."
        ),
    )
    datahub_platforms: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "DataHub platforms (PLATFORM, or PLATFORM,ENV) to the service names that start mlkg's fully "
            'qualified names, as JSON: {"snowflake": "snowflake_prod", "postgres,DEV": "pg_dev"}; an '
            "unmapped platform gives its name in PROD and {platform}_{env} elsewhere (README, 'DataHub')."
        ),
    )
    search_index: str | None = Field(
        default=None,
        description=(
            "The search index file, or 'memory:' (built at each process's first search). Unset: "
            "<store>/search.sqlite3 for an on-disk store, in memory for 'memory:', and a file per endpoint "
            "under the user cache directory (XDG_CACHE_HOME, ~/.cache) for a SPARQL engine."
        ),
    )
    allowed_hosts: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description=(
            "Host names requests may be addressed to ('*.example.org' for a domain); None: any. "
            "'mlkg serve' on a loopback address defaults it to the loopback names and the base IRI's host."
        ),
    )

    webhook_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "URL prefixes (scheme://host[:port][/path]) change events may be posted to, compared on parsed "
            "URLs (README, 'Change events'). Empty (the default): webhooks go nowhere."
        ),
    )
    events_key_file: Path | None = Field(
        default=None,
        description=(
            "File holding the key webhook signing secrets derive from (made with mode 0600 if absent); "
            "default: mlkg-events.key in an on-disk store's directory. Needed for webhooks on a remote store."
        ),
    )
    webhook_attempts: int = Field(default=5, ge=1, le=20, description="Attempts per webhook delivery.")
    webhook_backoff: float = Field(
        default=1.0, gt=0, description="Seconds before the second attempt; doubled for each further one."
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="Seconds one delivery attempt may take.")

    @field_validator("write_token", mode="before")
    @classmethod
    def _no_empty_token(cls, value: object) -> object:
        """An empty or blank token is no token: it must never make an empty ``Bearer`` value a credential."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("cors_origins", "allowed_hosts", "webhook_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``MLKG_CORS_ORIGINS=https://a.example,https://b.example``: a comma-separated list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
