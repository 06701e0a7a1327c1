"""Change events: subscriptions, signed webhook deliveries, the ``/events`` stream and impact events
(docs/architecture.md, section 8)."""

from mlkg.events.allow import AllowList, WebhookUrl
from mlkg.events.keys import SigningKey, signature
from mlkg.events.model import ChangeEvent, EventKind
from mlkg.events.service import ChangeEvents
from mlkg.events.subscriptions import EventFilter, Subscription

__all__ = [
    "AllowList",
    "ChangeEvent",
    "ChangeEvents",
    "EventFilter",
    "EventKind",
    "SigningKey",
    "Subscription",
    "WebhookUrl",
    "signature",
]
