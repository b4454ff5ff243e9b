from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from reports.deflection import Kind, deflection_record, visit_id_parse
from tickets.selectors import desks_for_portal

from .models import Article
from .selectors import article_get_published, article_suggest

SUGGEST_MAX_TEXT = 200


@login_required
def article_detail(request, desk_slug, slug):
    try:
        article = article_get_published(desk_slug=desk_slug, slug=slug)
    except Article.DoesNotExist:
        raise Http404
    if visit := request.GET.get("visit"):
        # Opened from the suggestions of a request form (the deflection report).
        deflection_record(visit=visit, kind=Kind.OPENED, user=request.user, desk_id=article.desk_id,
                          article_ids=[article.pk])  # fmt: skip
    return render(request, "kb/article_detail.html", {"article": article, "desk": article.desk})


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
