"""The catalogue editor at /configure/: who may open it, types and fields made and reordered,
the preview in both languages, and the rules that keep stored values readable."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from tickets.models import RequestField, RequestType, SensitiveValue, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser, catalogue):
    client.force_login(superuser)
    return client


@pytest.fixture
def customer_client(customer):
    from django.test import Client

    other = Client()
    other.force_login(customer)
    return other


@pytest.fixture
def desk():
    from tickets.models import ServiceDesk

    return ServiceDesk.objects.get(key="CSD")


def _new_type(client, desk, key="lost-badge", name="I lost my badge"):
    group = desk.groups.first()
    team = desk.teams.get(tier=1)
    response = client.post(
        reverse("configuration:type_new", args=[desk.pk]),
        {"group": group.pk, "key": key, "name": name, "name_es": "Perdí mi credencial", "default_team": team.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return RequestType.objects.get(desk=desk, key=key)


def _add_field(client, request_type, key, kind="short_text", name=None, name_es="", required=False):
    data = {"field-key": key, "field-kind": kind, "field-name": name or key.title(), "field-name_es": name_es}
    if required:
        data["field-required"] = "on"
    return client.post(reverse("configuration:field_add", args=[request_type.pk]), data)


def _field_post(field, **changes):
    from configuration.forms import FieldForm, choice_initial

    data = {k: v for k, v in FieldForm.initial_for(field).items() if v not in (None, False)}
    data.update(changes)
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    choices = changes.pop("choices", None) if "choices" in changes else choice_initial(field)
    data.pop("choices", None)
    data["choices-TOTAL_FORMS"] = str(len(choices))
    data["choices-INITIAL_FORMS"] = str(len(choices))
    for index, choice in enumerate(choices):
        for key, value in choice.items():
            data[f"choices-{index}-{key}"] = value
    return data


def test_it_is_only_for_staff_with_the_catalogue_permission(client, catalogue, customer, tier2, superuser):
    url = reverse("configuration:index")
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    for person in (customer, tier2):
        client.force_login(person)
        assert client.get(url).status_code == 404
    staff = User.objects.create_user(email="staff@example.org", password="x", full_name="Staff", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="change_requesttype"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached on the object
    client.force_login(staff)
    assert client.get(url).status_code == 200
    client.force_login(superuser)
    assert b"Customer Service" in client.get(url).content


def test_it_creates_an_inactive_type_with_summary_and_description(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    assert not request_type.is_active
    assert list(request_type.fields.values_list("key", flat=True)) == ["summary", "description"]
    assert admin_client.get(reverse("configuration:type_edit", args=[request_type.pk])).status_code == 200


def test_it_adds_fields_and_reorders_them_with_the_buttons_and_with_a_whole_order(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    for key in ("badge_number", "lost_on", "site_name"):
        assert _add_field(admin_client, request_type, key).status_code == 302
    keys = lambda: list(request_type.fields.filter(archived=False).values_list("key", flat=True))  # noqa: E731
    assert keys() == ["summary", "description", "badge_number", "lost_on", "site_name"]
    url = reverse("configuration:fields_order", args=[request_type.pk])
    site = request_type.fields.get(key="site_name")
    assert admin_client.post(url, {"item": site.pk, "direction": "up"}).status_code == 302
    assert keys() == ["summary", "description", "badge_number", "site_name", "lost_on"]
    ids = list(request_type.fields.order_by("-position").values_list("pk", flat=True))
    response = admin_client.post(url, {"order": ids}, HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True}
    assert keys() == ["lost_on", "site_name", "badge_number", "description", "summary"]
    # A stale page (a row missing, or a foreign id) changes nothing.
    response = admin_client.post(url, {"order": ids[:-1]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert admin_client.post(url, {"order": ["abc"]}, HTTP_ACCEPT="application/json").status_code == 409
    assert keys() == ["lost_on", "site_name", "badge_number", "description", "summary"]


def test_it_refuses_a_field_key_already_used_even_archived(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    response = _add_field(admin_client, request_type, "summary")
    assert response.status_code == 400
    assert "Another field of this request type uses this key" in response.content.decode()
    assert _add_field(admin_client, request_type, "Not a key!").status_code == 400


def test_the_preview_shows_the_portal_form_in_either_language_and_unsaved_edits_without_saving(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    _add_field(admin_client, request_type, "badge_number", name="Badge number", name_es="Número de credencial")
    page = admin_client.get(reverse("configuration:type_edit", args=[request_type.pk]))
    assert "Badge number" in page.content.decode()
    page = admin_client.get(reverse("configuration:type_edit", args=[request_type.pk]) + "?preview_language=es")
    html = page.content.decode()
    assert "Número de credencial" in html and "Perdí mi credencial" in html
    # Without a script: the Preview button of the type form shows the edits, saves nothing.
    from configuration.forms import RequestTypeForm

    data = {k: v for k, v in RequestTypeForm(instance=request_type).initial.items() if v not in (None, False)}
    data.update({"name": "I lost my staff badge", "action": "preview", "preview_language": "en"})
    response = admin_client.post(reverse("configuration:type_edit", args=[request_type.pk]), data)
    assert response.status_code == 200
    assert "<h3>I lost my staff badge</h3>" in response.content.decode()
    assert RequestType.objects.get(pk=request_type.pk).name == "I lost my badge"
    # The script's fragment.
    fragment = admin_client.post(reverse("configuration:type_preview", args=[request_type.pk]), data)
    assert "I lost my staff badge" in fragment.content.decode() and "<html" not in fragment.content.decode()
    assert RequestType.objects.get(pk=request_type.pk).name == "I lost my badge"


def test_activating_shows_the_type_on_the_portal_and_disabling_hides_it_but_keeps_old_requests(
    admin_client, customer_client, desk, customer, submit
):
    client = customer_client
    from configuration.forms import RequestTypeForm

    request_type = _new_type(admin_client, desk)
    desk_url = reverse("portal:desk_detail", args=[desk.slug])
    data = {k: v for k, v in RequestTypeForm(instance=request_type).initial.items() if v not in (None, False)}
    data.update({"audience": "everyone", "is_active": "on"})
    assert admin_client.post(reverse("configuration:type_edit", args=[request_type.pk]), data).status_code == 302
    assert "I lost my badge" in client.get(desk_url).content.decode()
    ticket = submit(customer, desk="CSD", key="lost-badge", summary="Badge gone")
    data.pop("is_active")
    assert admin_client.post(reverse("configuration:type_edit", args=[request_type.pk]), data).status_code == 302
    assert "I lost my badge" not in client.get(desk_url).content.decode()
    assert client.get(reverse("portal:request_create", args=[desk.slug, "lost-badge"])).status_code == 404
    detail = client.get(reverse("portal:request_detail", args=[ticket.reference]))
    assert detail.status_code == 200 and "Badge gone" in detail.content.decode()


def test_a_field_holding_values_keeps_its_key_and_its_kind(admin_client, customer, submit):
    ticket = submit(customer, desk="CCP", key="portal-error", summary="Blank", browser="firefox")
    field = ticket.request_type.fields.get(key="browser")
    url = reverse("configuration:field_edit", args=[field.pk])
    response = admin_client.post(url, _field_post(field, key="web_browser"))
    assert response.status_code == 400
    assert "cannot change" in response.content.decode()
    response = admin_client.post(url, _field_post(field, kind="number"))
    assert response.status_code == 400
    field.refresh_from_db()
    assert (field.key, field.kind) == ("browser", "choice")
    # Labels may change: the stored value still reads.
    assert admin_client.post(url, _field_post(field, name="Web browser")).status_code == 302
    client_page = admin_client.get(reverse("agent:ticket_detail", args=[ticket.reference]))
    assert "Firefox" in client_page.content.decode()


def test_a_removed_choice_that_requests_hold_is_retired_not_lost(admin_client, customer_client, customer, submit):
    client = customer_client
    ticket = submit(customer, desk="CCP", key="portal-error", summary="Blank", browser="firefox")
    field = ticket.request_type.fields.get(key="browser")
    kept = [c for c in field.choices if c["value"] != "firefox"]
    unused = kept.pop()
    new_choice = {"value": "brave", "label": "Brave", "label_es": "Brave"}
    data = _field_post(field, choices=[*kept, new_choice])
    response = admin_client.post(reverse("configuration:field_edit", args=[field.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    field.refresh_from_db()
    values = {c["value"]: c for c in field.choices}
    assert values["firefox"].get("archived") is True
    assert unused["value"] not in values and "brave" in values
    form_page = client.get(reverse("portal:request_create", args=["child-care-provider", "portal-error"]))
    assert 'value="firefox"' not in form_page.content.decode() and 'value="brave"' in form_page.content.decode()
    assert "Firefox" in client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()


def test_a_field_without_values_may_be_renamed_and_change_kind(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    _add_field(admin_client, request_type, "badge")
    field = request_type.fields.get(key="badge")
    response = admin_client.post(
        reverse("configuration:field_edit", args=[field.pk]), _field_post(field, key="badge_number", kind="number")
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.kind) == ("badge_number", "number")


def test_making_a_field_sensitive_moves_its_stored_values(admin_client, customer, submit):
    ticket = submit(customer, desk="CCP", key="additional-roles", summary="Roles", user_email="x@example.org",
                    roles_needed="Reports")  # fmt: skip
    field = ticket.request_type.fields.get(key="roles_needed")
    response = admin_client.post(
        reverse("configuration:field_edit", args=[field.pk]), _field_post(field, sensitive=True)
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert "roles_needed" not in ticket.field_values
    assert SensitiveValue.objects.get(ticket=ticket, field=field).value == "Reports"


def test_many_values_are_moved_by_a_task_after_the_change_commits(
    admin_client, customer, submit, settings, django_capture_on_commit_callbacks
):
    settings.CATALOGUE_SENSITIVE_SYNC_MAX = 1
    tickets = [submit(customer, desk="CCP", key="additional-roles", summary=f"Roles {n}", user_email="x@example.org",
                      roles_needed=f"Reports {n}") for n in range(2)]  # fmt: skip
    field = tickets[0].request_type.fields.get(key="roles_needed")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("configuration:field_edit", args=[field.pk]), _field_post(field, sensitive=True), follow=True
        )
    assert "2 stored values are being moved" in response.content.decode()
    assert not RequestField.objects.get(pk=field.pk).sensitive  # not yet: the task moves them
    assert len(callbacks) == 1
    callbacks[0]()  # the task runs in-process (Celery eager in tests)
    assert RequestField.objects.get(pk=field.pk).sensitive
    assert SensitiveValue.objects.filter(field=field).count() == 2
    assert all("roles_needed" not in t.field_values for t in Ticket.objects.all())


def test_a_file_field_cannot_be_made_sensitive_and_the_summary_cannot_be_archived(admin_client, catalogue):
    field = RequestField.objects.filter(kind="file").first()
    response = admin_client.post(
        reverse("configuration:field_edit", args=[field.pk]), _field_post(field, sensitive=True)
    )
    assert response.status_code == 400
    assert not RequestField.objects.get(pk=field.pk).sensitive
    summary = RequestField.objects.filter(key="summary").first()
    admin_client.post(reverse("configuration:field_edit", args=[summary.pk]), {"action": "archive"})
    assert not RequestField.objects.get(pk=summary.pk).archived


def test_an_archived_field_leaves_the_form_and_its_values_stay_readable(
    admin_client, customer_client, customer, submit
):
    client = customer_client
    ticket = submit(customer, desk="CCP", key="portal-error", summary="Blank", browser="firefox")
    field = ticket.request_type.fields.get(key="browser")
    admin_client.post(reverse("configuration:field_edit", args=[field.pk]), {"action": "archive"})
    assert RequestField.objects.get(pk=field.pk).archived
    form_page = client.get(reverse("portal:request_create", args=["child-care-provider", "portal-error"]))
    assert 'name="browser"' not in form_page.content.decode()
    assert "Firefox" in client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()


def test_bad_input_is_a_form_error_not_a_crash(admin_client, desk):
    request_type = _new_type(admin_client, desk)
    url = reverse("configuration:type_edit", args=[request_type.pk])
    response = admin_client.post(url, {"name": "", "key": "bad key", "sla_first_response_minutes": "-3"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    new_desk = admin_client.post(reverse("configuration:desk_new"), {"key": "lower", "slug": "x y", "name": ""})
    assert new_desk.status_code == 400
    assert admin_client.get(reverse("configuration:type_edit", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "name,args,method",
    [
        ("configuration:desk_edit", ["desk"], "get"),
        ("configuration:desks_order", [], "post"),
        ("configuration:groups_order", ["desk"], "post"),
        ("configuration:type_new", ["desk"], "get"),
        ("configuration:type_edit", ["type"], "get"),
        ("configuration:type_preview", ["type"], "post"),
        ("configuration:fields_order", ["type"], "post"),
        ("configuration:field_add", ["type"], "post"),
        ("configuration:field_edit", ["field"], "get"),
        ("configuration:field_preview", ["field"], "post"),
    ],
)
def test_every_door_of_the_editor_is_closed_to_agents_and_customers(
    client, catalogue, tier2, customer, name, args, method
):
    from tickets.models import ServiceDesk

    request_type = RequestType.objects.filter(desk__key="CSD").first()
    ids = {"desk": ServiceDesk.objects.get(key="CSD").pk, "type": request_type.pk,
           "field": request_type.fields.first().pk}  # fmt: skip
    url = reverse(name, args=[ids[a] for a in args])
    for person in (tier2, customer):
        client.force_login(person)
        assert getattr(client, method)(url).status_code == 404


def test_desks_are_reordered_for_the_portal(admin_client):
    from tickets.models import ServiceDesk

    keys = lambda: list(ServiceDesk.objects.values_list("key", flat=True))  # noqa: E731
    last = ServiceDesk.objects.get(key=keys()[-1])
    admin_client.post(reverse("configuration:desks_order"), {"item": last.pk, "direction": "up"})
    assert keys()[-2] == last.key
