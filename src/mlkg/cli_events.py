"""``mlkg subscription add|list|remove``: webhook subscriptions to change events from the command line
(README, "Change events"; docs/architecture.md, section 8), the same as ``POST|GET|DELETE /subscriptions``.

``add`` and ``remove`` write the store, so while ``mlkg serve`` holds it they exit 2 naming the HTTP route
to use; ``list`` only reads. Events themselves are delivered by ``mlkg serve``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mlkg.cli_open import errors, reading, settings_of, writing
from mlkg.cli_options import store_options
from mlkg.events import AllowList, EventFilter, SigningKey
from mlkg.events.service import subscribe
from mlkg.events.subscriptions import SubscriptionBook

__all__ = ["subscription_app"]

subscription_app = typer.Typer(
    name="subscription",
    help="Webhook subscriptions to change events (delivered by mlkg serve).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@subscription_app.command("add")
@store_options
def add_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Where events are posted; must be in the allow-list.")],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="created, updated, deleted, stage_transition or impact; repeatable (default: all).",
        ),
    ] = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type", help="Only entities of this type (table, mlmodel, ... or a class IRI); repeatable."
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Only entities with this tag (PII.Sensitive); repeatable."),
    ] = None,
    upstream_of: Annotated[
        str | None,
        typer.Option("--upstream-of", help="Only this entity and what is upstream of it (IRI or name)."),
    ] = None,
    webhook_allow: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-allow",
            help="URL prefix webhooks may go to; repeatable (env MLKG_WEBHOOK_ALLOW, comma-separated).",
        ),
    ] = None,
) -> None:
    """Subscribe URL to change events; prints the subscription as JSON with its signing secret (shown this
    once)."""
    settings = settings_of(ctx)
    if webhook_allow:
        settings = settings.model_copy(update={"webhook_allow": webhook_allow})

    def advice(url: str) -> str:
        return f"POST the subscription to {url}subscriptions"

    with writing(ctx, advice=advice, settings=settings) as catalog:
        wanted = EventFilter.parse(
            kinds=event or [],
            types=type_ or [],
            tags=tag or [],
            upstream_of=upstream_of,
            type_class=lambda name: catalog.minter.type_named(name).cls,
            resolve=catalog.resolve,
        )
        made, secret = subscribe(
            book=SubscriptionBook(store=catalog.store.inner),
            allow=AllowList.parse(settings.webhook_allow),
            key=SigningKey.for_catalog(catalog),
            url=url,
            filter=wanted,
        )
    typer.echo(json.dumps({**made.as_json(), "secret": secret}, indent=2, ensure_ascii=False))


@subscription_app.command("list")
@store_options
def list_command(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print them as GET /subscriptions answers.")
    ] = False,
) -> None:
    """The subscriptions: id, URL, event kinds and filters (never their secrets)."""
    with reading(ctx) as catalog, errors():
        found = SubscriptionBook(store=catalog.store.inner).all()
    if as_json:
        typer.echo(json.dumps({"subscriptions": [s.as_json() for s in found]}, indent=2, ensure_ascii=False))
        return
    for subscription in found:
        shown = subscription.as_json()
        filters = {k: v for k, v in shown["filters"].items() if v}
        typer.echo(f"{shown['id']}  {shown['url']}  {','.join(shown['events'])}  {json.dumps(filters)}")


@subscription_app.command("remove")
@store_options
def remove_command(
    ctx: typer.Context,
    subscription: Annotated[str, typer.Argument(metavar="ID", help="The subscription's id.")],
) -> None:
    """Delete a subscription."""

    def advice(url: str) -> str:
        return f"DELETE {url}subscriptions/{subscription}"

    with writing(ctx, advice=advice) as catalog:
        removed = SubscriptionBook(store=catalog.store.inner).remove(subscription)
    typer.echo(f"mlkg: removed the subscription {removed.id} ({removed.url})", err=True)
