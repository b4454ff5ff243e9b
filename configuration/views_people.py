"""People in the editor: organisations, sites, members and roles, agents and their teams, and
deactivating a person; plus the offboarding a resolved "Staff terminated" request offers."""

from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, Organization, User
from accounts.services import user_deactivate
from tickets import workflow
from tickets.forms import parse_id, parse_reference
from tickets.models import Ticket
from tickets.selectors import ticket_get_visible, ticket_roles

from . import people
from .access import people_required
from .offboarding import OffboardingRefused, member_offboard, offboarding_candidates
from .people_forms import (
    AgentTeamsForm,
    BaseSiteFormSet,
    MemberAddForm,
    MembershipRoleForm,
    OrganizationForm,
    PeopleSearchForm,
    SiteFormSet,
)


@people_required
def people_index(request: HttpRequest) -> HttpResponse:
    form = PeopleSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {
        "form": form,
        "query": query,
        "organizations": people.organizations_search(query=query),
        "people": people.people_search(query=query),
        "agents": people.agents_list(),
    }
    return render(request, "configuration/people.html", context)


@people_required
@require_http_methods(["GET", "POST"])
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = form.save()
        messages.success(request, _("The organisation is created; add its sites and members."))
        return redirect("configuration:organization_edit", organization.pk)
    status = 400 if form.is_bound else 200
    return render(request, "configuration/organization_new.html", {"form": form}, status=status)


def _organization_page(
    request: HttpRequest,
    organization: Organization,
    *,
    form: OrganizationForm | None = None,
    sites: BaseSiteFormSet | None = None,
    member_form: MemberAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    memberships = organization.memberships.select_related("user").order_by("user__full_name")
    context = {
        "organization": organization,
        "form": form or OrganizationForm(instance=organization),
        "sites": sites or SiteFormSet(instance=organization, prefix="sites"),
        "member_form": member_form or MemberAddForm(prefix="member"),
        "memberships": [
            (
                m,
                MembershipRoleForm(
                    initial={"role": m.role, "sites": list(m.sites.all())}, prefix=f"m{m.pk}", organization=organization
                ),
            )
            for m in memberships.prefetch_related("sites")
        ],  # fmt: skip
    }
    return render(request, "configuration/organization_edit.html", context, status=status)


@people_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=organization_id)
    if request.method == "GET":
        return _organization_page(request, organization)
    form = OrganizationForm(request.POST, instance=organization)
    sites = SiteFormSet(request.POST, instance=organization, prefix="sites")
    if not (form.is_valid() and sites.is_valid()):
        organization = Organization.objects.get(pk=organization.pk)
        return _organization_page(request, organization, form=form, sites=sites, status=400)
    form.save()
    people.sites_save(organization=organization, formset=sites)
    messages.success(request, _("The organisation is saved."))
    return redirect("configuration:organization_edit", organization.pk)


@people_required
@require_POST
def member_add(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=organization_id)
    form = MemberAddForm(request.POST, prefix="member")
    if not form.is_valid():
        return _organization_page(request, organization, member_form=form, status=400)
    person = cast(User, form.person)  # never None once valid: clean_email refuses an address without an account
    people.membership_add(organization=organization, user=person, role=form.cleaned_data["role"])
    messages.success(request, _("%(name)s is a member now.") % {"name": person.full_name})
    return redirect(reverse("configuration:organization_edit", args=[organization.pk]) + "#members")


@people_required
@require_POST
def membership_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    back = reverse("configuration:organization_edit", args=[membership.organization_id]) + "#members"
    if request.POST.get("action") == "remove":
        people.membership_remove(membership=membership)
        messages.success(request, _("%(name)s is no longer a member.") % {"name": membership.user.full_name})
        return redirect(back)
    form = MembershipRoleForm(request.POST, prefix=f"m{membership.pk}", organization=membership.organization)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles, and sites of this organisation."))
        return redirect(back)
    people.membership_update(membership=membership, role=form.cleaned_data["role"], sites=form.cleaned_data["sites"])
    messages.success(request, _("The role and sites of %(name)s are saved.") % {"name": membership.user.full_name})
    return redirect(back)


@people_required
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    form = AgentTeamsForm(request.POST or None, initial={"teams": person.teams.all()})
    if request.method == "POST" and person.pk == request.user.pk and not request.user.is_superuser:
        # Teams make an agent (Tier II sees sensitive values): nobody gives them to themselves.
        form.add_error(None, _("Another admin sets your own teams."))
    elif request.method == "POST" and form.is_valid():
        people.agent_set_teams(user=person, teams=list(form.cleaned_data["teams"]))
        messages.success(request, _("The teams of %(name)s are saved.") % {"name": person.full_name})
        return redirect("configuration:person_detail", person.pk)
    context = {
        "person": person,
        "form": form,
        "memberships": person.memberships.select_related("organization"),
        "request_count": person.requests.count(),
    }
    return render(request, "configuration/person_detail.html", context, status=400 if form.is_bound else 200)


@people_required
@require_http_methods(["GET", "POST"])
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    """A confirmation page, then the deactivation: sessions and API tokens end now."""
    person = get_object_or_404(User, pk=user_id)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate yourself."))
        return redirect("configuration:person_detail", person.pk)
    if person.is_superuser and not request.user.is_superuser:
        messages.error(request, _("Only a superuser can deactivate a superuser."))
        return redirect("configuration:person_detail", person.pk)
    if request.method == "POST" and person.is_active:
        sessions, tokens = user_deactivate(user=person, actor=cast(User, request.user))
        messages.success(
            request,
            _("%(name)s is deactivated: %(sessions)d sessions ended, %(tokens)d API tokens revoked; requests stay.")
            % {"name": person.full_name, "sessions": sessions, "tokens": tokens},
        )
        return redirect("configuration:person_detail", person.pk)
    return render(request, "configuration/person_deactivate.html", {"person": person})


@people_required
@require_POST
def person_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    User.objects.filter(pk=person.pk).update(is_active=True)
    messages.success(request, _("%(name)s can sign in again.") % {"name": person.full_name})
    return redirect("configuration:person_detail", person.pk)


# --- Offboarding from a resolved "Staff terminated" request -------------------------------------


def _agent_ticket(request: HttpRequest, reference: str | None) -> Ticket:
    reference = parse_reference(reference)
    if reference is None or not request.user.is_authenticated:
        raise Http404
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    if workflow.Role.AGENT not in ticket_roles(ticket=ticket, user=request.user):
        raise Http404
    return ticket


@require_POST
def offboard(request: HttpRequest, reference: str) -> HttpResponse:
    """First click: find the member the request names (an audited reveal) and ask to confirm;
    the confirmation (with `user`) deactivates them."""
    ticket = _agent_ticket(request, reference)
    back = reverse("agent:ticket_detail", args=[ticket.reference])
    try:
        if "user" in request.POST:
            member = member_offboard(
                ticket=ticket, actor=cast(User, request.user), user_id=parse_id(request.POST["user"]) or 0
            )
            messages.success(
                request, _("%(name)s is deactivated; their sessions and API tokens ended.") % {"name": member.full_name}
            )
            return redirect(back)
        candidates = offboarding_candidates(ticket=ticket, actor=cast(User, request.user))
    except OffboardingRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    response = render(request, "configuration/offboard_confirm.html", {"ticket": ticket, "candidates": candidates})
    response["Cache-Control"] = "no-store"  # it shows sensitive values
    return response
