"""Settings, read from keyword arguments or ``MLKG_*`` environment variables (pydantic-settings).

There is no module-level instance: the CLI and ``create_app`` each build one and pass it down.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_BASE_IRI", "DEFAULT_STORE", "MEMORY_STORE", "Settings"]

DEFAULT_BASE_IRI = "http://localhost:8000/id/"
DEFAULT_STORE = "./mlkg-data"
#: The ``--store`` value that selects an in-memory embedded store.
MEMORY_STORE = "memory:"


class Settings(BaseSettings):
    """Everything configurable in mlkg, with its documented default.

    Environment variables: ``MLKG_STORE``, ``MLKG_BASE_IRI``, ``MLKG_SPARQL_ENDPOINT``,
    ``MLKG_UPDATE_ENDPOINT``, ``MLKG_GSP_ENDPOINT``, ``MLKG_SPARQL_USER``, ``MLKG_SPARQL_PASSWORD``,
    ``MLKG_WRITE_TOKEN``, ``MLKG_MAX_DOCUMENT_BYTES``, ``MLKG_QUERY_TIMEOUT``.
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
    max_document_bytes: int = Field(default=16 * 1024 * 1024, gt=0, description="Largest accepted input.")
    query_timeout: float = Field(default=30.0, gt=0, description="Seconds a query may run.")
