"""Webhooks go only to http(s) hosts whose every address is public: refused at save (a field
error in the admin) and again at send (DNS asked again, the connection made to the checked
address, no redirect followed), unless WEBHOOKS_ALLOWED_HOSTS names the host."""

import ipaddress
import socket

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_deliver
from tests.webhooks.conftest import ALL_EVENTS, deliveries
from webhooks import targets
from webhooks.models import DeliveryAttempt, Endpoint
from webhooks.signing import secret_decrypt
from webhooks.targets import RefusedTarget, address_is_public, target_check

PRIVATE = [
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::7f00:1",
    "2001:db8::1",
]  # fmt: skip
PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", PRIVATE)
def test_it_calls_private_loopback_link_local_multicast_and_reserved_addresses_not_public(address):
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_it_calls_public_addresses_public(address):
    assert address_is_public(ipaddress.ip_address(address))


REFUSED_URLS = [
    "http://127.0.0.1/hook", "http://10.1.2.3:8080/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9000/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://localhost/hook",
    "http://LOCALHOST./hook", "http://2130706433/", "http://0x7f000001/", "http://[fe80::1]/", "http://[fd00::5]/",
    "http://100.64.1.1/", "https://192.168.0.10/x",
]  # fmt: skip
BAD_SCHEMES = ["ftp://93.184.215.14/", "file:///etc/passwd", "javascript:alert(1)", "gopher://93.184.215.14/",
               "93.184.215.14/hook", "http://user:pw@93.184.215.14/", "http:///nohost", "http://[::1/"]  # fmt: skip


def _add(client, url, **extra):
    data = {"name": "Partner", "url": url, "events": ["request.created"], "scope": "customer", "is_active": "on",
            **extra}  # fmt: skip
    return client.post(reverse("admin:webhooks_endpoint_add"), data)


@pytest.mark.django_db
@pytest.mark.parametrize("url", REFUSED_URLS + BAD_SCHEMES)
def test_the_admin_refuses_a_private_or_non_http_target_with_a_field_error(client, superuser, url):
    client.force_login(superuser)
    response = _add(client, url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["url"], form.errors
    assert not Endpoint.objects.exists()


@pytest.mark.django_db
def test_the_admin_shows_the_secret_once_and_keeps_it_encrypted(client, superuser):
    client.force_login(superuser)
    response = _add(client, "http://93.184.215.14/hooks/helpdesk")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = Endpoint.objects.get()
    secret = response.context["secrets"][0][1]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert secret not in endpoint.secret_encrypted
    assert secret_decrypt(endpoint.secret_encrypted) == secret
    assert endpoint.created_by == superuser and endpoint.events == ["request.created"]
    change = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert change.status_code == 200
    assert secret not in change.content.decode()
    assert endpoint.secret_hint in change.content.decode()


@pytest.mark.django_db
def test_rotating_shows_a_new_secret_once(client, superuser, make_endpoint):
    endpoint, old = make_endpoint("http://93.184.215.14/hook")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:webhooks_endpoint_changelist"), {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )
    assert response.status_code == 200
    new = response.context["secrets"][0][1]
    endpoint.refresh_from_db()
    assert new != old and secret_decrypt(endpoint.secret_encrypted) == new


@pytest.mark.django_db
def test_an_endpoint_needs_at_least_one_event(client, superuser):
    client.force_login(superuser)
    response = _add(client, "http://93.184.215.14/", events=[])
    assert list(response.context["adminform"].form.errors) == ["events"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "http://127.0.0.1:9/"])
def test_a_host_named_in_the_allowed_hosts_may_resolve_privately(client, superuser, settings, url):
    settings.WEBHOOKS_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    client.force_login(superuser)
    assert _add(client, url).status_code == 200
    assert Endpoint.objects.get().url == url


def test_the_allowed_hosts_name_hosts_not_addresses_they_resolve_to(settings):
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(RefusedTarget):
        target_check("http://localhost/")  # resolves to 127.0.0.1, but is not the name allowed


# --- At send ----------------------------------------------------------------------------------


@pytest.fixture
def queued(db, submit, customer, make_endpoint, receiver, loopback_allowed):
    """An endpoint on the test receiver, saved while the rule was relaxed, and one delivery owed."""
    endpoint, _secret = make_endpoint(receiver.url(), events=ALL_EVENTS)
    submit(customer, summary="Owed a webhook")
    (row,) = deliveries()
    return endpoint, row


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook", "http://[::1]:{port}/hook",
     "http://10.0.0.1:{port}/hook", "http://169.254.169.254:{port}/latest/meta-data/", "http://[::ffff:7f00:1]:{port}/"],
)  # fmt: skip
def test_it_refuses_at_send_a_target_that_is_no_longer_allowed(queued, receiver, settings, url):
    endpoint, row = queued
    settings.WEBHOOKS_ALLOWED_HOSTS = []
    # As if it had been saved some other way, or the rule had been relaxed when it was.
    Endpoint.objects.filter(pk=endpoint.pk).update(url=url.format(port=receiver.port))
    notification_deliver(notification_id=str(row.pk))
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED and row.attempts == 1  # refused: not retried
    assert receiver.received == []
    (attempt,) = DeliveryAttempt.objects.filter(endpoint=endpoint)
    assert attempt.status_code is None and not attempt.succeeded
    assert "private, loopback or link-local" in attempt.error


def test_it_asks_dns_again_at_send_and_refuses_a_host_that_now_resolves_privately(
    db, submit, customer, make_endpoint, receiver, monkeypatch
):
    """DNS rebinding: the name was public when the endpoint was saved, loopback when it is sent."""
    answers = {"hooks.partner.test": "93.184.215.14"}
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    endpoint, _secret = make_endpoint(f"http://hooks.partner.test:{receiver.port}/hook")
    submit(customer)
    (row,) = deliveries()
    answers["hooks.partner.test"] = "127.0.0.1"
    notification_deliver(notification_id=str(row.pk))
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert receiver.received == []
    assert "127.0.0.1" in DeliveryAttempt.objects.get(endpoint=endpoint).error


def test_it_connects_to_the_address_it_checked_and_names_the_host(
    db, submit, customer, make_endpoint, receiver, monkeypatch, settings
):
    """The connection goes to the checked address; the request still names the endpoint's host."""
    settings.WEBHOOKS_ALLOWED_HOSTS = ["hooks.inside.test"]
    lookups = []
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.inside.test":
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    make_endpoint(f"http://hooks.inside.test:{receiver.port}/hook")
    submit(customer)
    (row,) = deliveries()
    lookups.clear()
    notification_deliver(notification_id=str(row.pk))
    (received,) = receiver.wait_for(1)
    assert received.headers["host"] == f"hooks.inside.test:{receiver.port}"
    assert lookups == ["hooks.inside.test"]  # one lookup, checked, then connected to
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


def test_it_does_not_follow_a_redirect(queued, receiver):
    endpoint, row = queued
    receiver.statuses = [302]
    receiver.redirect_to = receiver.url("/elsewhere")
    notification_deliver(notification_id=str(row.pk))
    assert [r.path for r in receiver.wait_for(1)] == ["/hook"]
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING and row.attempts == 1  # a failure, retried later
    (attempt,) = DeliveryAttempt.objects.filter(endpoint=endpoint)
    assert attempt.status_code == 302 and not attempt.succeeded
    assert receiver.received[-1].path == "/hook" and len(receiver.received) == 1


@pytest.mark.django_db
def test_an_endpoint_refused_now_can_still_be_deactivated(client, superuser, make_endpoint):
    endpoint, _secret = make_endpoint("http://93.184.215.14/hook")
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://10.9.9.9/hook")  # its host moved inside
    client.force_login(superuser)
    response = client.post(
        reverse("admin:webhooks_endpoint_changelist"),
        {"action": "deactivate", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert "1 endpoint deactivated." in response.content.decode()
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_an_international_host_name_is_resolved_and_sent_as_its_a_label(
    db, submit, customer, make_endpoint, receiver, monkeypatch, settings
):
    settings.WEBHOOKS_ALLOWED_HOSTS = ["bücher.test"]
    asked = []
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "xn--bcher-kva.test":
            asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    make_endpoint(f"http://bücher.test:{receiver.port}/hook")
    submit(customer)
    (row,) = deliveries()
    notification_deliver(notification_id=str(row.pk))
    (received,) = receiver.wait_for(1)
    assert received.headers["host"] == f"xn--bcher-kva.test:{receiver.port}"
    assert asked and set(asked) == {"xn--bcher-kva.test"}


def _self_signed_tls(host: str):
    """A server TLS context with a certificate for `host` that no public authority signed."""
    import datetime
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as pem:
        pem.write(cert.public_bytes(serialization.Encoding.PEM))
        pem.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem.name)
    return context


def test_https_still_verifies_the_certificate_when_connecting_to_the_checked_address(
    db, submit, customer, make_endpoint, monkeypatch, settings
):
    """Choosing the socket's address does not turn off TLS verification: an untrusted
    certificate fails the try, and nothing is posted."""
    from tests.webhooks.receiver import Receiver

    host = "hooks.inside.test"
    settings.WEBHOOKS_ALLOWED_HOSTS = [host]
    server = Receiver(tls=_self_signed_tls(host)).start()
    real = socket.getaddrinfo

    def fake_getaddrinfo(name, port, *args, **kwargs):
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(name, port, *args, **kwargs)

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    try:
        endpoint, _secret = make_endpoint(f"https://{host}:{server.port}/hook")
        submit(customer)
        (row,) = deliveries()
        notification_deliver(notification_id=str(row.pk))
        row.refresh_from_db()
        assert row.status == Notification.Status.PENDING  # a failure, retried later
        assert server.received == []
        assert "CERTIFICATE_VERIFY_FAILED" in DeliveryAttempt.objects.get(endpoint=endpoint).error
    finally:
        server.stop()
