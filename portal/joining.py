"""Doors for joining an organisation and for approvals: ask to join, the "Waiting for my
approval" list of vouching roles and agents, and the decision. The rules are accounts.joining's
and tickets.approvals'."""

from datetime import timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import JoinDecisionForm, JoinOrganizationForm
from accounts.joining import (
    JoinRequestError,
    join_request_create,
    join_request_decide,
    join_requests_for_decider,
    join_requests_of,
    join_requests_to_decide,
)
from accounts.models import JoinRequest, User
from accounts.ratelimit import ratelimit
from tickets.approvals import tickets_waiting_for_my_approval
from tickets.forms import parse_id
from tickets.selectors import user_vouches
from tickets.visibility import user_is_agent

APPROVALS_PAGE_SIZE = 100


def _user_key(request: HttpRequest) -> str:
    return str(request.user.pk) if request.user.is_authenticated else ""


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(scope="join", rate_setting="RATELIMIT_JOIN_LOOKUP", keys=(_user_key,))
def join_organization(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required: signed in
    form = JoinOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            join_request = join_request_create(
                user=user,
                query=form.cleaned_data["organization"],
                message=form.cleaned_data["message"],
            )
        except JoinRequestError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(
                request,
                _("We asked %(name)s to approve you. You will get an e-mail with their answer.")
                % {"name": join_request.organization.name},
            )
            return redirect("portal:join")
    context = {"form": form, "join_requests": join_requests_of(user=user)[:20]}
    return render(request, "portal/join.html", context, status=400 if form.is_bound else 200)


def _approver(request: HttpRequest) -> bool:
    """Whether this person approves anything: a vouching role, an agent or an admin."""
    user = cast(User, request.user)  # the views calling it are login_required
    return user_vouches(user=user) or user_is_agent(user=user)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required: signed in
    if not _approver(request):
        raise Http404
    agent = user_is_agent(user=user)
    context = {
        "join_requests": list(join_requests_to_decide(user=user, agent=agent)[:APPROVALS_PAGE_SIZE]),
        "tickets": list(tickets_waiting_for_my_approval(user=user)[:APPROVALS_PAGE_SIZE]),
        "decision_form": JoinDecisionForm(),
    }
    return render(request, "portal/approvals.html", context)


@login_required
@require_POST
def join_request_answer(request: HttpRequest, join_request_id: int) -> HttpResponse:
    user = cast(User, request.user)  # login_required: signed in
    agent = user_is_agent(user=user)
    pk = parse_id(join_request_id)
    join_request = join_requests_for_decider(user=user, agent=agent).filter(pk=pk).first() if pk else None
    if join_request is None:
        raise Http404
    if join_request.status != JoinRequest.Status.PENDING:
        messages.info(request, _("Someone already answered this request."))
        return redirect("portal:approvals")
    form = JoinDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            join_request_decide(
                join_request=join_request, actor=user, approve=approve, agent=agent,
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except JoinRequestError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            name = join_request.user.full_name or join_request.user.email
            if approve:
                messages.success(request, _("%(name)s is now a member of %(organization)s.") % {
                    "name": name, "organization": join_request.organization.name})  # fmt: skip
            else:
                messages.success(request, _("You declined %(name)s's request; they were told.") % {"name": name})
            return redirect("portal:approvals")
    context = {
        "join_requests": list(join_requests_to_decide(user=user, agent=agent)[:APPROVALS_PAGE_SIZE]),
        "tickets": list(tickets_waiting_for_my_approval(user=user)[:APPROVALS_PAGE_SIZE]),
        "decision_form": JoinDecisionForm(),
        "failed_form": form,
        "failed_id": join_request.pk,
    }
    return render(request, "portal/approvals.html", context, status=400)


HOME_APPROVALS_SHOWN = 5
HOME_JOIN_OUTCOME_DAYS = 30


def home_context(*, user: User) -> dict[str, Any]:
    """What the Help Center's home adds for joining and approvals: "Waiting for my approval"
    for vouching roles (and agents), the outcome of one's own requests to join, and for someone
    in no organisation yet, the way in."""
    vouches = user_vouches(user=user)
    context: dict[str, Any] = {"has_organization": user.memberships.exists(), "vouches": vouches}
    if vouches:
        waiting = (
            tickets_waiting_for_my_approval(user=user)
            .select_related(None)
            .select_related("requester")
            .only("reference", "summary", "requester__full_name", "requester__email")
        )
        context["approval_tickets"] = list(waiting[: HOME_APPROVALS_SHOWN + 1])
        context["approval_joins"] = list(join_requests_to_decide(user=user, agent=False)[: HOME_APPROVALS_SHOWN + 1])
    recent = timezone.now() - timedelta(days=HOME_JOIN_OUTCOME_DAYS)
    context["my_join_requests"] = list(
        join_requests_of(user=user).filter(Q(status=JoinRequest.Status.PENDING) | Q(decided_at__gte=recent))[:5]
    )
    return context
