"""Change events for one catalog: the write observer, the subscriptions, the delivery thread and the
``/events`` hub, made together and owned by the HTTP app's lifespan (docs/architecture.md, section 8).

Only the process that writes sees its writes: ``mlkg serve`` (every HTTP write happens in its main process)
delivers the events of the writes it makes; a command writing the store while no server runs makes none.
"""

from __future__ import annotations

from dataclasses import replace

from mlkg.catalog import Catalog
from mlkg.config import Settings
from mlkg.errors import InputError
from mlkg.events.allow import AllowList
from mlkg.events.dispatch import Dispatcher
from mlkg.events.hub import EventHub
from mlkg.events.impact import ImpactEvents
from mlkg.events.keys import SigningKey
from mlkg.events.source import EventSource, downstream_of
from mlkg.events.subscriptions import EventFilter, Subscription, SubscriptionBook
from mlkg.queries import QueryCatalog

__all__ = ["ChangeEvents", "subscribe"]


def subscribe(
    *, book: SubscriptionBook, allow: AllowList, key: SigningKey, url: str, filter: EventFilter
) -> tuple[Subscription, str]:
    """Store a subscription to ``url`` and return it with its signing secret (shown this once): what
    ``POST /subscriptions`` and ``mlkg subscription add`` do.

    :raises ValidationError: if ``url`` is malformed or outside the allow-list (HTTP 422).
    :raises InputError: if there is no signing key (a remote store without ``MLKG_EVENTS_KEY_FILE``).
    :raises StoreError: if the store fails.
    """
    checked = allow.check(url)
    if key.missing is not None:
        raise InputError(key.missing, where="MLKG_EVENTS_KEY_FILE")
    made = book.add(url=checked.text, filter=filter)
    return made, key.secret(made.id)


class ChangeEvents:
    """Change events of ``catalog``: made with the app, :meth:`start` ed and :meth:`close` d by its lifespan.

    :raises InputError: if the webhook allow-list has a malformed entry or the key file cannot be used
        (:class:`~.keys.SigningKey`).
    :raises StoreError: if the subscriptions cannot be read.
    """

    def __init__(self, *, catalog: Catalog, settings: Settings, queries: QueryCatalog) -> None:
        self.allow = AllowList.parse(settings.webhook_allow)
        self.key = SigningKey.for_catalog(catalog)
        self.book = SubscriptionBook(store=catalog.store.inner)
        self.hub = EventHub()
        impact = ImpactEvents(catalog=catalog, queries=queries)
        self.dispatcher = Dispatcher(
            book=self.book,
            allow=self.allow,
            key=self.key,
            attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
            timeout=settings.webhook_timeout,
            expand=lambda event: impact.expand(
                replace(event, downstream=downstream_of(catalog.store.inner, event.entity))
            ),
            broadcast=self.hub.publish,
        )
        program = catalog.program
        catalog.store.observe(
            EventSource(
                store=catalog.store.inner,
                history=catalog.store.history,
                superclasses=program.superclasses,
                publish=self.dispatcher.put,
                wanted=lambda: self.book.any() or self.hub.wanted(),
            )
        )

    def start(self) -> None:
        self.dispatcher.start()

    def close(self) -> None:
        self.hub.close()
        self.dispatcher.close()

    def subscribe(self, *, url: str, filter: EventFilter) -> tuple[Subscription, str]:
        """:func:`subscribe` on this app's subscriptions."""
        return subscribe(book=self.book, allow=self.allow, key=self.key, url=url, filter=filter)

    def unsubscribe(self, subscription: str) -> Subscription:
        """:raises NotFoundError: if there is none with that id. :raises StoreError: if the store fails."""
        removed = self.book.remove(subscription)
        self.dispatcher.forget(subscription)
        return removed
