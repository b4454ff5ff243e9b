"""The catalogue editor: desks, teams, groups, request types and their fields, with the
customer's form previewed in either language. Thin doors: forms validate, configuration.catalogue
decides."""

from collections.abc import Callable, Iterable
from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from tickets.forms import parse_id
from tickets.models import RequestField, RequestType, RequestTypeGroup, ServiceDesk, Team

from . import catalogue
from .access import CATALOGUE_PERMISSION, PEOPLE_PERMISSION, catalogue_required, may_configure
from .forms import (
    BaseChoiceFormSet,
    ChoiceFormSet,
    DeskCreateForm,
    DeskForm,
    FieldAddForm,
    FieldForm,
    GroupForm,
    RequestTypeCreateForm,
    RequestTypeForm,
    TeamForm,
    choice_initial,
)
from .preview import preview_language, preview_render

Apply = Callable[[RequestType], None]  # unsaved edits, made on the type being previewed


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _order_items(
    rows: Iterable[Any], url_name: str, detail: Callable[[Any], str] = lambda row: ""
) -> list[dict[str, Any]]:
    return [
        {"id": row.pk, "label": row.display_name, "detail": detail(row), "url": reverse(url_name, args=[row.pk])}
        for row in rows
    ]


def _reorder(request: HttpRequest, items: QuerySet[Any], back: str) -> HttpResponse:
    """Save a new order: the whole list (`order`, sent by the script after a drag or a move) or
    one row one place up or down (`item` and `direction`, the buttons without a script)."""
    if "order" in request.POST:
        raw_ids = [parse_id(raw) for raw in request.POST.getlist("order")]
        ids = [i for i in raw_ids if i is not None]
        done = len(ids) == len(raw_ids) and catalogue.positions_set(items=items, ordered_ids=ids)
    else:
        item = parse_id(request.POST.get("item"))
        done = item is not None and catalogue.position_move(
            items=items, item_id=item, direction=request.POST.get("direction", "")
        )
    if _wants_json(request):
        return JsonResponse({"ok": bool(done)}, status=200 if done else 409)
    if done:
        messages.success(request, _("The new order is saved."))
    else:
        messages.error(request, _("The list changed meanwhile; here it is as it is now."))
    return redirect(back)


# --- Desks -----------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    # The menu's one link: staff who may manage people only land on the people pages.
    if not may_configure(request.user, CATALOGUE_PERMISSION) and may_configure(request.user, PEOPLE_PERMISSION):
        return redirect("configuration:people")
    return _catalogue_index(request)


@catalogue_required
def _catalogue_index(request: HttpRequest) -> HttpResponse:
    desks = ServiceDesk.objects.prefetch_related("groups", "request_types")
    context = {"desks": desks, "desk_items": _order_items(desks, "configuration:desk_edit", lambda d: d.key)}
    return render(request, "configuration/index.html", context)


@catalogue_required
@require_POST
def desks_order(request: HttpRequest) -> HttpResponse:
    return _reorder(request, ServiceDesk.objects.all(), reverse("configuration:index") + "#order")


@catalogue_required
@require_http_methods(["GET", "POST"])
def desk_new(request: HttpRequest) -> HttpResponse:
    form = DeskCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        desk = catalogue.desk_create(**form.cleaned_data, actor=cast(User, request.user))
        messages.success(request, _("The desk is created, hidden from the portal until you activate it."))
        return redirect("configuration:desk_edit", desk.pk)
    return render(request, "configuration/desk_new.html", {"form": form}, status=400 if form.is_bound else 200)


def _desk_page(request: HttpRequest, desk: ServiceDesk, *, status: int = 200, **forms: Any) -> HttpResponse:
    groups = [
        (group, _order_items(group.request_types.all(), "configuration:type_edit", _type_detail))
        for group in desk.groups.prefetch_related("request_types")
    ]
    context = {
        "desk": desk,
        "form": forms.get("form") or DeskForm(instance=desk),
        "team_form": forms.get("team_form") or TeamForm(desk=desk),
        "group_form": forms.get("group_form") or GroupForm(desk=desk, prefix="group"),
        "groups": groups,
        "group_items": _order_items([g for g, _ in groups], "configuration:group_edit"),
        "teams": desk.teams.all(),
    }
    return render(request, "configuration/desk_edit.html", context, status=status)


def _type_detail(request_type: RequestType) -> str:
    return _("active") if request_type.is_active else _("inactive")


@catalogue_required
@require_http_methods(["GET", "POST"])
def desk_edit(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(ServiceDesk, pk=desk_id)
    if request.method == "GET":
        return _desk_page(request, desk)
    form = DeskForm(request.POST, instance=desk)
    if not form.is_valid():
        return _desk_page(request, desk, status=400, form=form)
    form.save()
    messages.success(request, _("The desk is saved."))
    return redirect("configuration:desk_edit", desk.pk)


@catalogue_required
@require_POST
def team_add(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(ServiceDesk, pk=desk_id)
    form = TeamForm(request.POST, desk=desk)
    if not form.is_valid():
        return _desk_page(request, ServiceDesk.objects.get(pk=desk.pk), status=400, team_form=form)
    Team.objects.create(desk=desk, **form.cleaned_data)
    messages.success(request, _("The team is added."))
    return redirect(reverse("configuration:desk_edit", args=[desk.pk]) + "#teams")


@catalogue_required
@require_POST
def group_add(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(ServiceDesk, pk=desk_id)
    form = GroupForm(request.POST, desk=desk, prefix="group")
    if not form.is_valid():
        return _desk_page(request, desk, status=400, group_form=form)
    catalogue.group_create(desk=desk, **form.cleaned_data)
    messages.success(request, _("The group is added."))
    return redirect(reverse("configuration:desk_edit", args=[desk.pk]) + "#groups")


@catalogue_required
@require_POST
def groups_order(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(ServiceDesk, pk=desk_id)
    return _reorder(request, desk.groups.all(), reverse("configuration:desk_edit", args=[desk.pk]) + "#groups")


@catalogue_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(RequestTypeGroup.objects.select_related("desk"), pk=group_id)
    initial = {"key": group.key, "name": group.name, "name_es": group.name_es}
    form = GroupForm(request.POST or None, desk=group.desk, group=group, initial=initial)
    if request.method == "POST" and form.is_valid():
        RequestTypeGroup.objects.filter(pk=group.pk).update(**form.cleaned_data)
        messages.success(request, _("The group is saved."))
        return redirect(reverse("configuration:desk_edit", args=[group.desk_id]) + "#groups")
    items = _order_items(group.request_types.all(), "configuration:type_edit", _type_detail)
    context = {"group": group, "desk": group.desk, "form": form, "type_items": items}
    return render(request, "configuration/group_edit.html", context, status=400 if form.is_bound else 200)


@catalogue_required
@require_POST
def types_order(request: HttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(RequestTypeGroup, pk=group_id)
    return _reorder(request, group.request_types.all(), reverse("configuration:group_edit", args=[group.pk]))


# --- Request types -----------------------------------------------------------------------------


@catalogue_required
@require_http_methods(["GET", "POST"])
def type_new(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(ServiceDesk, pk=desk_id)
    form = RequestTypeCreateForm(request.POST or None, desk=desk, initial={"group": request.GET.get("group")})
    if request.method == "POST" and form.is_valid():
        request_type = catalogue.request_type_create(**form.cleaned_data, actor=cast(User, request.user))
        messages.success(
            request, _("The request type is created, inactive: add its fields, preview it, then activate it.")
        )
        return redirect("configuration:type_edit", request_type.pk)
    context = {"desk": desk, "form": form}
    return render(request, "configuration/type_new.html", context, status=400 if form.is_bound else 200)


def _type_page(
    request: HttpRequest,
    request_type: RequestType,
    *,
    form: RequestTypeForm | None = None,
    add_form: FieldAddForm | None = None,
    status: int = 200,
    preview_from: Apply | None = None,
) -> HttpResponse:
    language = preview_language(request.POST.get("preview_language") or request.GET.get("preview_language"))
    fields = list(request_type.fields.all())
    live = [f for f in fields if not f.archived]
    context = {
        "request_type": request_type,
        "desk": request_type.desk,
        "form": form or RequestTypeForm(instance=request_type),
        "add_form": add_form or FieldAddForm(prefix="field"),
        "field_items": [
            {"id": f.pk, "label": f.display_name, "url": reverse("configuration:field_edit", args=[f.pk]),
             "detail": _field_detail(f)}
            for f in live
        ],  # fmt: skip
        "archived_fields": [f for f in fields if f.archived],
        "preview_language": language,
        "preview": preview_render(request_type_id=request_type.pk, language=language, user=cast(User, request.user),
                                  apply=preview_from),
    }  # fmt: skip
    return render(request, "configuration/type_edit.html", context, status=status)


def _field_detail(field: RequestField) -> str:
    parts = [f"{field.key} · {field.get_kind_display()}"]
    if field.required:
        parts.append(_("required"))
    if field.sensitive:
        parts.append(_("sensitive"))
    return " · ".join(str(p) for p in parts)


def _apply_type_form(form: RequestTypeForm) -> Apply:
    def apply(request_type: RequestType) -> None:
        form.instance.pk = request_type.pk
        form.save()

    return apply


@catalogue_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, type_id: int) -> HttpResponse:
    request_type = get_object_or_404(RequestType.objects.select_related("desk", "group"), pk=type_id)
    if request.method == "GET":
        return _type_page(request, request_type)
    form = RequestTypeForm(request.POST, instance=request_type)
    if not form.is_valid():
        return _type_page(request, RequestType.objects.get(pk=type_id), form=form, status=400)
    if request.POST.get("action") == "preview":
        # The unsaved edits, previewed without saving them (the page without a script).
        return _type_page(request, request_type, form=form, preview_from=_apply_type_form(form))
    form.save()
    messages.success(request, _("The request type is saved."))
    return redirect("configuration:type_edit", request_type.pk)


@catalogue_required
@require_POST
def type_preview(request: HttpRequest, type_id: int) -> HttpResponse:
    """The preview alone, of the unsaved edits when they are valid (the script refreshes it)."""
    request_type = get_object_or_404(RequestType.objects.select_related("desk"), pk=type_id)
    form = RequestTypeForm(request.POST, instance=request_type)
    apply = _apply_type_form(form) if form.is_valid() else None
    html = preview_render(
        request_type_id=type_id,
        language=request.POST.get("preview_language"),
        user=cast(User, request.user),
        apply=apply,
    )
    return HttpResponse(html)


@catalogue_required
@require_POST
def fields_order(request: HttpRequest, type_id: int) -> HttpResponse:
    request_type = get_object_or_404(RequestType, pk=type_id)
    live = request_type.fields.filter(archived=False)
    return _reorder(request, live, reverse("configuration:type_edit", args=[type_id]) + "#fields")


@catalogue_required
@require_POST
def field_add(request: HttpRequest, type_id: int) -> HttpResponse:
    request_type = get_object_or_404(RequestType.objects.select_related("desk", "group"), pk=type_id)
    form = FieldAddForm(request.POST, prefix="field")
    if form.is_valid():
        try:
            field = catalogue.field_add(request_type=request_type, **form.cleaned_data)
        except catalogue.ChangeRefused as refused:
            for name, message in refused.errors.items():
                form.add_error(name, message)
        else:
            messages.success(request, _("The field “%(label)s” is added.") % {"label": field.name})
            return redirect(reverse("configuration:type_edit", args=[type_id]) + "#fields")
    return _type_page(request, request_type, add_form=form, status=400)


# --- Fields -----------------------------------------------------------------------------------


def _field_forms(request: HttpRequest, field: RequestField) -> tuple[FieldForm, BaseChoiceFormSet]:
    if request.method == "POST":
        return FieldForm(request.POST), ChoiceFormSet(request.POST, prefix="choices")
    return (
        FieldForm(initial=FieldForm.initial_for(field)),
        ChoiceFormSet(initial=choice_initial(field), prefix="choices"),
    )


def _apply_field_forms(field: RequestField, form: FieldForm, choices: BaseChoiceFormSet) -> Apply:
    def apply(request_type: RequestType) -> None:
        RequestField.objects.filter(pk=field.pk).update(
            **form.changes(), choices=choices.choices() if form.cleaned_data["kind"] == RequestField.Kind.CHOICE else []
        )

    return apply


def _field_page(
    request: HttpRequest,
    field: RequestField,
    form: FieldForm,
    choices: BaseChoiceFormSet,
    *,
    status: int = 200,
    apply: Apply | None = None,
) -> HttpResponse:
    language = preview_language(request.POST.get("preview_language") or request.GET.get("preview_language"))
    retired = [c for c in field.choices or [] if c.get("archived")]
    context = {
        "field": field,
        "request_type": field.request_type,
        "desk": field.request_type.desk,
        "form": form,
        "choices": choices,
        "retired_choices": retired,
        "preview_language": language,
        "preview": preview_render(
            request_type_id=field.request_type_id, language=language, user=cast(User, request.user), apply=apply
        ),
    }
    return render(request, "configuration/field_edit.html", context, status=status)


@catalogue_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    field = get_object_or_404(RequestField.objects.select_related("request_type__desk"), pk=field_id)
    back = reverse("configuration:type_edit", args=[field.request_type_id]) + "#fields"
    action = request.POST.get("action", "save")
    if request.method == "POST" and action in ("archive", "restore"):
        try:
            catalogue.field_set_archived(field=field, archived=action == "archive")
        except catalogue.ChangeRefused as refused:
            messages.error(request, " ".join(refused.errors.values()))
            return redirect("configuration:field_edit", field.pk)
        if action == "archive":
            messages.success(request, _("The field is archived: new requests no longer ask for it."))
        else:
            messages.success(request, _("The field is restored."))
        return redirect(back)
    form, choices = _field_forms(request, field)
    if request.method == "GET":
        return _field_page(request, field, form, choices)
    if not (form.is_valid() and choices.is_valid()):
        return _field_page(request, field, form, choices, status=400)
    if action == "preview":
        return _field_page(request, field, form, choices, apply=_apply_field_forms(field, form, choices))
    try:
        outcome, count = catalogue.field_save(
            field=field,
            changes=form.changes(),
            choices=choices.choices(),
            sensitive=form.cleaned_data["sensitive"],
            actor=cast(User, request.user),
        )
    except catalogue.ChangeRefused as refused:
        for name, message in refused.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _field_page(request, RequestField.objects.get(pk=field.pk), form, choices, status=400)
    if outcome == "queued":
        messages.success(
            request,
            _("The field is saved. %(count)d stored values are being moved in the background.") % {"count": count},
        )
    else:
        messages.success(request, _("The field is saved."))
    return redirect(back)


@catalogue_required
@require_POST
def field_preview(request: HttpRequest, field_id: int) -> HttpResponse:
    field = get_object_or_404(RequestField, pk=field_id)
    form, choices = FieldForm(request.POST), ChoiceFormSet(request.POST, prefix="choices")
    apply = _apply_field_forms(field, form, choices) if form.is_valid() and choices.is_valid() else None
    html = preview_render(
        request_type_id=field.request_type_id,
        language=request.POST.get("preview_language"),
        user=cast(User, request.user),
        apply=apply,
    )
    return HttpResponse(html)
