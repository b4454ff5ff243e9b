import pytest

from tests.webhooks.receiver import Receiver

ALL_EVENTS = [
    "request.created",
    "request.updated",
    "request.commented",
    "request.status_changed",
    "request.resolved",
    "request.escalated",
]


@pytest.fixture
def receiver():
    """A real HTTP server on 127.0.0.1, a free port."""
    server = Receiver().start()
    yield server
    server.release()
    server.stop()


@pytest.fixture
def loopback_allowed(settings):
    """The private-address rule relaxed for the test receiver's host, by name, as an admin would."""
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


@pytest.fixture
def make_endpoint(db, superuser):
    """make_endpoint(url, events=ALL_EVENTS, scope="agent", **fields) -> (endpoint, secret),
    validated and saved through the service the admin uses."""
    from webhooks.models import Endpoint
    from webhooks.services import endpoint_save

    def _make(url, *, events=None, scope="agent", **fields):
        endpoint = Endpoint(name=fields.pop("name", "Receiver"), url=url, events=events or ALL_EVENTS, scope=scope,
                            **fields)  # fmt: skip
        endpoint.full_clean(exclude=["secret_encrypted", "secret_hint"])
        secret = endpoint_save(endpoint=endpoint, actor=superuser)
        return endpoint, secret

    return _make


def deliveries():
    """The webhook rows of the outbox, oldest first."""
    from notifications.models import Notification

    return list(Notification.objects.filter(channel="webhook").order_by("created_at"))
