"""Answering the satisfaction survey: from a link in the resolution e-mail (no sign-in) or from
the request page (signed in, through the visibility rule)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tickets.models import Ticket
from tickets.visibility import ticket_get_visible, ticket_roles
from tickets.workflow import Role

from .csat import COMMENT_MAX, SCORE_LABELS, SCORES, SurveyRefused, survey_answer, survey_current, survey_from_token


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how we handled your request?"),
        choices=[(s, f"{s} – {SCORE_LABELS[s]}") for s in SCORES],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _refused(request: HttpRequest, error: SurveyRefused) -> HttpResponse:
    return render(request, "portal/csat_refused.html", {"message": str(error)}, status=error.status)


@require_http_methods(["GET", "POST"])
def csat_answer(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The page an e-mail's score link opens: the score chosen, a comment box, one button. The
    answer is taken on the button, not on the click, because mail scanners open links."""
    try:
        survey, score = survey_from_token(reference=reference, token=token)
    except SurveyRefused as error:
        return _refused(request, error)
    form = RatingForm(request.POST or None, initial={"score": score})
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                          user=request.user)  # fmt: skip
        except SurveyRefused as error:
            return _refused(request, error)
        return render(request, "portal/csat_thanks.html", {"ticket": survey.ticket})
    context = {"form": form, "ticket": survey.ticket}
    return render(request, "portal/csat_answer.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def request_rate(request: HttpRequest, reference: str) -> HttpResponse:
    """The rating form on the request page."""
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    if not ticket_roles(ticket=ticket, user=request.user) & {Role.CUSTOMER, Role.VOUCHER}:
        raise Http404
    survey = survey_current(ticket=ticket)
    form = RatingForm(request.POST)
    if survey is None:
        messages.error(request, _("This request is not waiting for a rating."))
    elif not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
    else:
        try:
            survey_answer(survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                          user=request.user)  # fmt: skip
        except SurveyRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you for your rating."))
    return redirect("portal:request_detail", reference=ticket.reference)
