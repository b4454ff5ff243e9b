"""The catalogue as a file: export → import → export is identical, a dry run lists and changes
nothing, a bad file changes nothing and names each problem's line, from the command line and
from the editor."""

import copy
import json

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from tickets.catalogue import CatalogueInvalid, catalogue_dump, catalogue_export, catalogue_import, catalogue_parse
from tickets.models import RequestField, RequestType, SensitiveValue

pytestmark = pytest.mark.django_db


def _type(data, desk_key, type_key):
    desk = next(d for d in data["desks"] if d["key"] == desk_key)
    return next(t for g in desk["groups"] for t in g["types"] if t["key"] == type_key)


def test_the_round_trip_gives_an_identical_catalogue(catalogue):
    first = catalogue_dump(catalogue_export())
    report = catalogue_import(data=yaml.safe_load(first))
    assert report.changes == []
    assert catalogue_dump(catalogue_export()) == first
    # Change a lot through a file, then import the first export: everything is back as it was.
    changed = yaml.safe_load(first)
    browser_type = _type(changed, "CCP", "portal-error")
    browser_type["fields"].reverse()
    browser_type["fields"] = [f for f in browser_type["fields"] if f["key"] != "error_message"]
    browser_type["name_es"] = "Otro nombre"
    browser_type["sla"]["resolution_minutes"] = 99
    browser_type["escalation_team"] = None
    browser_type["is_active"] = False
    changed["desks"][0]["groups"].reverse()
    changed["desks"][1]["teams"].append({"name": "Night shift", "tier": 1})
    report = catalogue_import(data=changed)
    assert "archive field CCP / portal-error / error_message" in report.changes
    assert not RequestType.objects.get(desk__key="CCP", key="portal-error").is_active
    catalogue_import(data=yaml.safe_load(first))
    second = catalogue_export()
    # The added team stays (an import never deletes); everything else is as in the first export.
    second["desks"][1]["teams"] = [t for t in second["desks"][1]["teams"] if t["name"] != "Night shift"]
    assert catalogue_dump(second) == first


def test_json_round_trips_too(catalogue):
    text = catalogue_dump(catalogue_export(), fmt="json")
    data, _lines = catalogue_parse(text)
    assert catalogue_import(data=data).changes == []
    assert json.loads(catalogue_dump(catalogue_export(), fmt="json")) == json.loads(text)


def test_a_dry_run_lists_the_changes_and_changes_nothing(catalogue):
    before = catalogue_export()
    data = copy.deepcopy(before)
    _type(data, "CSD", "general-request")["name"] = "Something else"
    _type(data, "CCP", "portal-error")["fields"][2]["sensitive"] = True
    report = catalogue_import(data=data, dry_run=True)
    assert report.dry_run
    assert "update request type CSD / general-request: name" in report.changes
    assert any("becomes sensitive" in c for c in report.changes)
    assert catalogue_export() == before


def test_a_bad_file_changes_nothing_and_names_each_problem_with_its_line(catalogue):
    before = catalogue_export()
    data = copy.deepcopy(before)
    data["desks"][0]["name"] = "Renamed"  # a good change before the bad ones: not applied either
    fields = _type(data, "CSD", "general-request")["fields"]
    fields[1]["kind"] = "texto"
    fields[0]["nmae"] = "typo"
    _type(data, "EDI", data["desks"][2]["groups"][0]["types"][0]["key"])["team"] = "Nobody's team"
    text = catalogue_dump(data)
    parsed, lines = catalogue_parse(text)
    with pytest.raises(CatalogueInvalid) as raised:
        catalogue_import(data=parsed, lines=lines)
    problems = raised.value.problems
    messages = [p.message for p in problems]
    assert any("unknown kind “texto”" in m for m in messages)
    assert any("unknown key “nmae”" in m for m in messages)
    assert any("no team of this desk is named" in m for m in messages)
    kind = next(p for p in problems if "texto" in p.message)
    assert text.splitlines()[kind.line - 1].strip() == "kind: texto"
    assert kind.place.startswith(f"line {kind.line}, desks[1].groups[")
    assert catalogue_export() == before


def test_a_field_holding_values_cannot_change_kind_through_a_file(catalogue, customer, submit):
    submit(customer, desk="CCP", key="portal-error", summary="Blank", browser="firefox")
    data = catalogue_export()
    browser = next(f for f in _type(data, "CCP", "portal-error")["fields"] if f["key"] == "browser")
    browser["kind"] = "number"
    with pytest.raises(CatalogueInvalid, match="1 requests hold values of this choice field"):
        catalogue_import(data=data)
    assert RequestField.objects.get(request_type__key="portal-error", key="browser").kind == "choice"


def test_a_sensitivity_change_in_a_file_moves_the_stored_values(catalogue, customer, submit):
    ticket = submit(customer, desk="CCP", key="portal-error", summary="Blank", browser="firefox")
    data = catalogue_export()
    next(f for f in _type(data, "CCP", "portal-error")["fields"] if f["key"] == "browser")["sensitive"] = True
    report = catalogue_import(data=data)
    assert "field CCP / portal-error / browser becomes sensitive: 1 stored values moved" in report.changes
    assert SensitiveValue.objects.get(ticket=ticket).value == "firefox"


def test_the_commands_export_import_and_dry_run(catalogue, tmp_path, capsys):
    path = tmp_path / "catalogue.yaml"
    call_command("catalogue_export", "--output", str(path))
    data = yaml.safe_load(path.read_text())
    _type(data, "CSD", "general-request")["name"] = "General question"
    path.write_text(catalogue_dump(data))
    call_command("catalogue_import", str(path), "--dry-run")
    assert "update request type CSD / general-request: name" in capsys.readouterr().out
    assert RequestType.objects.get(desk__key="CSD", key="general-request").name != "General question"
    call_command("catalogue_import", str(path))
    assert "1 changed" in capsys.readouterr().out
    assert RequestType.objects.get(desk__key="CSD", key="general-request").name == "General question"
    call_command("catalogue_export", "--format", "json")
    assert json.loads(capsys.readouterr().out)["version"] == 1


def test_the_import_command_names_the_line_of_a_problem(catalogue, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\ndesks:\n  - key: lower\n    slug: x\n    name: X\n    teams: []\n")
    with pytest.raises(CommandError) as raised:
        call_command("catalogue_import", str(path))
    assert "line 3, desks[0].key" in str(raised.value)
    assert "line 6, desks[0].teams: a Tier I team is required" in str(raised.value)
    path.write_text("version: 1\ndesks: [unclosed\n")
    with pytest.raises(CommandError, match="line 3"):
        call_command("catalogue_import", str(path))
    path.write_text("a: &x [1, 2]\nb: [*x, *x]\n")
    with pytest.raises(CommandError, match="line 2.*aliases"):
        call_command("catalogue_import", str(path))


def test_the_editor_downloads_checks_and_imports_a_file(client, superuser, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(superuser)
    url = reverse("configuration:catalogue_file")
    assert client.get(url).status_code == 200
    download = client.get(reverse("configuration:catalogue_download", args=["yaml"]))
    assert download["Content-Disposition"].startswith("attachment;")
    data = yaml.safe_load(download.content)
    _type(data, "CSD", "general-request")["name_es"] = "Pregunta general"
    upload = SimpleUploadedFile("c.yaml", catalogue_dump(data).encode(), content_type="application/yaml")
    response = client.post(url, {"file": upload, "dry_run": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and "update request type CSD / general-request: name_es" in page
    assert RequestType.objects.get(desk__key="CSD", key="general-request").name_es != "Pregunta general"
    response = client.post(url, {"content": response.context["content"]})
    assert response.status_code == 302
    assert RequestType.objects.get(desk__key="CSD", key="general-request").name_es == "Pregunta general"
    bad = SimpleUploadedFile("c.yaml", b"version: 1\ndesks:\n  - key: CSD\n", content_type="application/yaml")
    response = client.post(url, {"file": bad, "dry_run": "on"})
    assert response.status_code == 400
    assert "line 3, desks[0].slug: required" in response.content.decode()
    binary = SimpleUploadedFile("c.yaml", b"\xff\xfe\x00", content_type="application/yaml")
    assert client.post(url, {"file": binary}).status_code == 400
    assert client.post(url, {}).status_code == 400


def test_only_catalogue_admins_reach_the_file(client, customer, catalogue):
    client.force_login(customer)
    assert client.get(reverse("configuration:catalogue_file")).status_code == 404
    assert client.get(reverse("configuration:catalogue_download", args=["yaml"])).status_code == 404
