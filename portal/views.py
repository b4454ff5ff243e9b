import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.api_tokens import api_tokens_of
from accounts.forms import ProfileForm
from accounts.models import User
from accounts.services import user_set_language
from kb.selectors import article_search, articles_top_for_desk
from reports.deflection import Kind as DeflectionKind
from reports.deflection import deflection_record, visit_id_parse
from tickets import workflow
from tickets.counts import customer_list_counts
from tickets.forms import (
    CommentForm,
    EscalateForm,
    RequestFilterForm,
    RequestForm,
    ShareForm,
    TransitionForm,
    UnshareForm,
    safe_next_url,
)
from tickets.models import Ticket
from tickets.pagination import page_of
from tickets.participants import participant_may_share, participant_removable_by, participant_remove
from tickets.selectors import (
    SEARCH_RELATED_PORTAL,
    activities_visible,
    desks_for_portal,
    request_types_for_user,
    ticket_colleagues,
    ticket_expected_by,
    ticket_field_rows,
    ticket_get_visible,
    ticket_list_for_customer,
    ticket_roles,
    ticket_search,
    user_is_agent,
    user_vouches,
)
from tickets.services import (
    TicketError,
    participant_set_notify,
    ticket_comment,
    ticket_request_escalation,
    ticket_share,
    ticket_submit,
    ticket_transition,
)

from .joining import home_context

SCOPES = {
    "created": gettext_lazy("Created by me"),
    "shared": gettext_lazy("Shared with me"),
    "organization": gettext_lazy("All of my organisation"),
}
# What the portal offers; customer_reply happens by commenting, never as a button.
PORTAL_ACTIONS = ("approve", "decline", "resolve", "cancel", "reopen")


@login_required
def home(request):
    return render(request, "portal/home.html", {"desks": desks_for_portal(), **home_context(user=request.user)})


@login_required
def desk_detail(request, slug):
    desk = get_object_or_404(desks_for_portal(), slug=slug)
    request_types = list(request_types_for_user(desk=desk, user=request.user))
    groups = []
    for request_type in request_types:
        if not groups or groups[-1][0].pk != request_type.group_id:
            groups.append((request_type.group, []))
        groups[-1][1].append(request_type)
    selected_key = request.GET.get("group") or (groups[0][0].key if groups else None)
    selected = next((g for g in groups if g[0].key == selected_key), groups[0] if groups else None)
    context = {
        "desk": desk,
        "groups": groups,
        "selected": selected,
        "top_articles": articles_top_for_desk(desk=desk),
        "has_organization": request.user.memberships.exists(),
    }
    return render(request, "portal/desk_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, slug, type_key):
    desk = get_object_or_404(desks_for_portal(), slug=slug)
    request_type = get_object_or_404(request_types_for_user(desk=desk, user=request.user), key=type_key)
    request_type.desk = desk  # the desk it was looked up in, not read a second time
    form = RequestForm(request.POST or None, request.FILES or None, request_type=request_type, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            organization, site = form.organization_and_site
            try:
                ticket = ticket_submit(
                    request_type=request_type,
                    requester=request.user,
                    values=form.submitted_values(),
                    organization=organization,
                    site=site,
                )
            except TicketError as error:
                form.add_error(None, str(error))
            else:
                deflection_record(visit=request.POST.get("visit"), kind=DeflectionKind.SUBMITTED, user=request.user,
                                  desk_id=desk.pk, ticket_id=ticket.pk)  # fmt: skip
                messages.success(request, _("Your request %(reference)s was sent.") % {"reference": ticket.reference})
                return redirect("portal:request_detail", reference=ticket.reference)
        form.keep_uploads()
    # One visit of the form, for the knowledge-base deflection report (kept across a form error).
    visit = visit_id_parse(request.POST.get("visit")) or uuid.uuid4()
    context = {"desk": desk, "request_type": request_type, "form": form, "visit": visit}
    return render(request, "portal/request_create.html", context, status=400 if form.is_bound else 200)


@login_required
def request_list(request):
    form = RequestFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    scope = filters.get("scope") or "created"
    tickets = ticket_list_for_customer(
        user=request.user,
        scope=scope,
        status=filters.get("status") or "",
        desk=filters.get("desk"),
        query=filters.get("q") or "",
        sort=filters.get("sort") or "-created",
    )
    # The desk and request type joined, the requesters read in one query by key: joining the
    # people too made PostgreSQL plan for longer than the page query runs (the page shows no
    # organisation).
    tickets = tickets.select_related(None).select_related("desk", "request_type").prefetch_related("requester")
    page = page_of(tickets, number=request.GET.get("page"))
    scopes = [key for key in SCOPES if key != "organization" or user_vouches(user=request.user)]
    counts = customer_list_counts(user=request.user, scopes=scopes)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/request_list.html",
        {
            "page": page,
            "form": form if form.is_bound else RequestFilterForm(),
            "scope": scope,
            "scopes": [(key, SCOPES[key], counts[key]) for key in scopes],
            "page_query": query.urlencode(),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@login_required
def search(request):
    query = (request.GET.get("q") or "")[:200]
    language = get_language() or "en"
    return render(
        request,
        "portal/search.html",
        {
            "q": query,
            "articles": article_search(query=query, language=language),
            "tickets": ticket_search(user=request.user, query=query, related=SEARCH_RELATED_PORTAL),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user, agent=user_is_agent(user=request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.instance.language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("portal:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.instance.language, samesite="Lax")
        return response
    context = {
        "form": form,
        "tokens": api_tokens_of(user=request.user)[:50],
        "memberships": request.user.memberships.select_related("organization").prefetch_related(
            "organization__sites", "sites"
        ),
    }
    return render(request, "portal/profile.html", context, status=400 if form.is_bound else 200)


@require_POST
def set_language(request):
    """Switch English / Español; remembered on the user when signed in, in a cookie otherwise."""
    language = request.POST.get("language", "")
    response = redirect(safe_next_url(request.POST.get("next"), request=request, default="/"))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=request.is_secure())
    return response


def _colleagues(ticket, user):
    """Whom this person may share the request with: nobody, unless they may share at all (the
    list names the organisation's staff)."""
    if not participant_may_share(ticket=ticket, actor=user):
        return User.objects.none()
    return ticket_colleagues(ticket=ticket, actor=user)


def _visible_ticket(request, reference) -> Ticket:
    try:
        return ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None


def _render_detail(request, ticket, *, status=200, **forms):
    user = request.user
    roles = ticket_roles(ticket=ticket, user=user)
    now = timezone.now()
    offered = workflow.transitions_offered(
        status=ticket.status, roles=roles - {workflow.Role.AGENT}, resolved_at=ticket.resolved_at, now=now
    )
    actions = [t for t in offered if t.action in PORTAL_ACTIONS]
    participants = list(ticket.participants.select_related("user"))
    for participant in participants:
        participant.removable = participant_removable_by(ticket=ticket, actor=user, participant=participant)
    me = next((p for p in participants if p.user_id == user.pk), None)
    can_act = bool(roles & {workflow.Role.CUSTOMER, workflow.Role.VOUCHER})
    # The portal shows what a customer sees, whoever reads it (an agent's view is /agent/).
    customer_roles = roles - {workflow.Role.AGENT} or frozenset({workflow.Role.CUSTOMER})
    context = {
        "ticket": ticket,
        "activities": activities_visible(ticket=ticket, user=user, roles=customer_roles)
        .select_related("actor")
        .prefetch_related("attachments"),
        "participants": participants,
        "field_rows": ticket_field_rows(ticket=ticket),
        "expect": ticket_expected_by(ticket=ticket),
        "participant": me,
        "notify_on": me.notify if me else False,
        "can_act": can_act,
        "actions": actions,
        "comment_form": forms.get("comment_form") or CommentForm(user=user, initial={"version": ticket.version}),
        "escalate_form": forms.get("escalate_form") or EscalateForm(initial={"version": ticket.version}),
        "share_form": forms.get("share_form") or ShareForm(colleagues=_colleagues(ticket, user)),
        "can_escalate": can_act and workflow.is_open(ticket.status) and not ticket.escalation_requested,
        "open_form": forms.get("open_form", ""),
    }
    return render(request, "portal/request_detail.html", context, status=status)


@login_required
def request_detail(request, reference):
    return _render_detail(request, _visible_ticket(request, reference))


def _refused(request, ticket, error: TicketError, **forms):
    messages.error(request, str(error))
    return _render_detail(request, ticket, status=error.status_code, **forms)


@login_required
@require_POST
def request_comment(request, reference):
    ticket = _visible_ticket(request, reference)
    form = CommentForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        form.keep_uploads()
        return _render_detail(request, ticket, status=400, comment_form=form)
    try:
        ticket_comment(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            uploads=form.attachments("attachments"),
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        form.keep_uploads()
        return _refused(request, ticket, error, comment_form=form)
    messages.success(request, _("Your comment was added."))
    return redirect("portal:request_detail", reference=ticket.reference)


@login_required
@require_POST
def request_transition(request, reference):
    ticket = _visible_ticket(request, reference)
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] not in PORTAL_ACTIONS:
        return _render_detail(request, ticket, status=400)
    try:
        ticket = ticket_transition(
            ticket=ticket,
            action=form.cleaned_data["action"],
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, open_form=form.cleaned_data["action"])
    messages.success(request, _("The request is now: %(status)s.") % {"status": ticket.get_status_display()})
    return redirect("portal:request_detail", reference=ticket.reference)


@login_required
@require_POST
def request_escalate(request, reference):
    ticket = _visible_ticket(request, reference)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, ticket, status=400, escalate_form=form, open_form="escalate")
    try:
        ticket_request_escalation(
            ticket=ticket,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
    except TicketError as error:
        return _refused(request, ticket, error, escalate_form=form, open_form="escalate")
    messages.success(request, _("We asked the team to look at this with priority."))
    return redirect("portal:request_detail", reference=ticket.reference)


@login_required
@require_POST
def request_share(request, reference):
    ticket = _visible_ticket(request, reference)
    form = ShareForm(request.POST, colleagues=_colleagues(ticket, request.user))
    if not form.is_valid():
        return _render_detail(request, ticket, status=400, share_form=form, open_form="share")
    try:
        ticket_share(ticket=ticket, actor=request.user, user=form.cleaned_data["user"])
    except TicketError as error:
        return _refused(request, ticket, error, share_form=form, open_form="share")
    messages.success(request, _("Shared with %(name)s.") % {"name": form.cleaned_data["user"]})
    return redirect("portal:request_detail", reference=ticket.reference)


@login_required
@require_POST
def request_notifications(request, reference):
    ticket = _visible_ticket(request, reference)
    notify = request.POST.get("notify") == "on"
    try:
        participant_set_notify(ticket=ticket, user=request.user, notify=notify)
    except TicketError as error:
        return _refused(request, ticket, error)
    messages.success(request, _("Notifications are on.") if notify else _("Notifications are off."))
    return redirect("portal:request_detail", reference=ticket.reference)


@login_required
@require_POST
def request_unshare(request, reference):
    """Stop sharing the request with someone (or leave it oneself)."""
    ticket = _visible_ticket(request, reference)
    form = UnshareForm(request.POST, participants=ticket.participants.all())
    if not form.is_valid():
        return _render_detail(request, ticket, status=400)
    user = form.cleaned_data["participant"].user
    try:
        participant_remove(ticket=ticket, actor=request.user, user=user)
    except TicketError as error:
        return _refused(request, ticket, error)
    if user.pk == request.user.pk:
        messages.success(request, _("You are no longer on this request."))
        return redirect("portal:request_list")
    messages.success(request, _("%(name)s no longer sees this request.") % {"name": user})
    return redirect("portal:request_detail", reference=ticket.reference)
