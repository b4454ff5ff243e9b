from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports.deflection import Kind, deflection_record, visit_id_parse
from tickets.selectors import desks_for_portal

from .models import Article
from .selectors import article_feedback_counts, article_get_published, article_suggest, articles_by_desk_and_topic
from .services import article_feedback_record

SUGGEST_MAX_TEXT = 200


@login_required
def help_index(request):
    """Every desk's articles, by topic."""
    return render(request, "kb/index.html", {"listing": articles_by_desk_and_topic(), "desk": None})


@login_required
def help_desk(request, desk_slug):
    desk = get_object_or_404(desks_for_portal(), slug=desk_slug)
    return render(request, "kb/index.html", {"listing": articles_by_desk_and_topic(desk=desk), "desk": desk})


def _published(desk_slug: str, slug: str) -> Article:
    try:
        return article_get_published(desk_slug=desk_slug, slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None


@login_required
def article_detail(request, desk_slug, slug):
    article = _published(desk_slug, slug)
    if visit := request.GET.get("visit"):
        # Opened from the suggestions of a request form (the deflection report).
        deflection_record(visit=visit, kind=Kind.OPENED, user=request.user, desk_id=article.desk_id,
                          article_ids=[article.pk])  # fmt: skip
    answered = article.feedback.filter(user=request.user).values_list("helpful", flat=True).first()
    context = {"article": article, "desk": article.desk, "answered": answered}
    if request.user.is_staff:
        context["feedback_counts"] = article_feedback_counts(article=article)
    return render(request, "kb/article_detail.html", context)


@login_required
@require_POST
def article_feedback(request, desk_slug, slug):
    article = _published(desk_slug, slug)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        messages.error(request, _("Choose “Yes” or “No”."))
        return _bad_answer(request, article)
    article_feedback_record(article=article, user=request.user, helpful=answer == "yes")
    messages.success(request, _("Thank you: your answer helps us improve this article."))
    return redirect(f"{article.get_absolute_url()}#feedback")


def _bad_answer(request, article):
    context = {"article": article, "desk": article.desk, "answered": None}
    return render(request, "kb/article_detail.html", context, status=400)


@login_required
@require_GET
def article_suggest_json(request):
    """Articles for the summary a customer is typing; titles and summaries in their language."""
    text = (request.GET.get("q") or "")[:SUGGEST_MAX_TEXT]
    desk = None
    if desk_slug := request.GET.get("desk"):
        desk = desks_for_portal().filter(slug=desk_slug).first()
        if desk is None:
            return JsonResponse({"articles": []})
    articles = article_suggest(text=text, language=get_language() or "en", desk=desk)
    visit = visit_id_parse(request.GET.get("visit"))
    if visit and articles:
        deflection_record(visit=str(visit), kind=Kind.SHOWN, user=request.user, desk_id=desk.pk if desk else None,
                          article_ids=[a.pk for a in articles])  # fmt: skip
    suffix = f"?{urlencode({'visit': str(visit)})}" if visit else ""
    # Plain strings: the page inserts them as text, never as HTML.
    return JsonResponse(
        {
            "articles": [
                {"title": a.localized_title, "summary": a.localized_summary, "url": a.get_absolute_url() + suffix}
                for a in articles
            ]
        }
    )
