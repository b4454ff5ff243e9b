"""Reads of help articles. Search finds words by their stem in both languages: on PostgreSQL
with its english and spanish text-search dictionaries (ranked), elsewhere (the embedded SQLite)
with the same Snowball stemmer over the stems stored on each article (kb.text), so "ausencias"
finds the article that says "ausencias" or "ausencia" on either database."""

import re
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, TextField, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation

from tickets.models import ServiceDesk

from .models import Article
from .text import stems_of

SUGGEST_MIN_WORD_LENGTH = 3
SUGGEST_MAX_WORDS = 8
SEARCH_MAX_WORDS = 12
DESK_TOP_ARTICLES = 5
_WORD = re.compile(r"\w+")


def article_published_queryset(*, desk: ServiceDesk | None = None) -> QuerySet[Article]:
    qs = Article.objects.filter(is_published=True, desk__is_active=True).select_related("desk")
    if desk is not None:
        qs = qs.filter(desk=desk)
    return qs


def article_get_published(*, desk_slug: str, slug: str) -> Article:
    """A published article of an active desk; Article.DoesNotExist otherwise."""
    return article_published_queryset().get(desk__slug=desk_slug, slug=slug)


@dataclass
class Topic:
    name: str
    articles: list[Article]


@dataclass
class DeskArticles:
    desk: ServiceDesk
    topics: list[Topic]


def articles_by_desk_and_topic(*, desk: ServiceDesk | None = None) -> list[DeskArticles]:
    """The Help Center's table of contents: each active desk with published articles, its
    articles grouped by topic (in the reader's language), topics in the order of their first
    article."""
    rows = article_published_queryset(desk=desk).order_by("desk__position", "desk__name", "position", "title")
    listing: list[DeskArticles] = []
    for article in rows:
        if not listing or listing[-1].desk.pk != article.desk_id:
            listing.append(DeskArticles(desk=article.desk, topics=[]))
        topics = listing[-1].topics
        name = article.localized_topic
        topic = next((t for t in topics if t.name == name), None)
        if topic is None:
            topic = Topic(name=name, articles=[])
            topics.append(topic)
        topic.articles.append(article)
    for entry in listing:
        # Articles with no topic come last, under "More articles".
        entry.topics.sort(key=lambda t: t.name == "")
    return listing


def articles_top_for_desk(*, desk: ServiceDesk, limit: int = DESK_TOP_ARTICLES) -> list[Article]:
    """A desk's most helpful articles (by "Was this helpful?" answers), then its first ones."""
    helpful = Count("feedback", filter=Q(feedback__helpful=True))
    return list(
        article_published_queryset(desk=desk).annotate(helpful=helpful).order_by("-helpful", "position")[:limit]
    )


def article_feedback_counts(*, article: Article) -> dict[str, int]:
    counts = article.feedback.aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"yes": counts["yes"] or 0, "no": counts["no"] or 0}


def article_search(*, query: str, language: str, desk: ServiceDesk | None = None, limit: int = 10) -> list[Article]:
    """Published articles matching every word of the query (by stem), best match first: in the
    reader's language, or when nothing matches there, in the other one (someone reading in
    English may still type "ausencias")."""
    query = query.strip()
    if not query:
        return []
    found = _search_in(query=query, language=language, desk=desk, limit=limit)
    if not found:
        other = "en" if _is_spanish(language) else "es"
        found = _search_in(query=query, language=other, desk=desk, limit=limit)
    return found


def _search_in(*, query: str, language: str, desk: ServiceDesk | None, limit: int) -> list[Article]:
    if connection.vendor != "postgresql":
        words = _WORD.findall(query)[:SEARCH_MAX_WORDS]
        return _stemmed(desk=desk, language=language, words=words, combine=and_, limit=limit) if words else []
    return _ranked(desk=desk, language=language, query=query, limit=limit)


def article_suggest(*, text: str, language: str, desk: ServiceDesk | None = None, limit: int = 5) -> list[Article]:
    """Articles that may answer what a customer is typing: any of its words may match."""
    words = _suggest_words(text)
    if not words:
        return []
    if connection.vendor != "postgresql":
        return _stemmed(desk=desk, language=language, words=words, combine=or_, limit=limit)
    return _ranked(desk=desk, language=language, query=" OR ".join(words), limit=limit)


def _suggest_words(text: str) -> list[str]:
    # Only word characters survive, so the customer's text cannot inject websearch syntax
    # (quotes, "-" negation); short words are mostly noise for a suggestion.
    words = []
    for word in _WORD.findall(text):
        if len(word) >= SUGGEST_MIN_WORD_LENGTH and word.lower() not in words:
            words.append(word.lower())
    return words[:SUGGEST_MAX_WORDS]


def _is_spanish(language: str) -> bool:
    return (language or "").lower().startswith("es")


def _ranked(*, desk: ServiceDesk | None, language: str, query: str, limit: int) -> list[Article]:
    spanish = _is_spanish(language)
    config = "spanish" if spanish else "english"

    def column(name: str):
        # An article without a Spanish text is still found, through its English one.
        if not spanish:
            return F(name)
        return Coalesce(NullIf(f"{name}_es", Value("")), name, output_field=TextField())

    vector = (
        SearchVector(column("title"), weight="A", config=config)
        + SearchVector(column("summary"), weight="B", config=config)
        + SearchVector(column("body"), weight="C", config=config)
    )
    search_query = SearchQuery(query, search_type="websearch", config=config)
    qs = (
        article_published_queryset(desk=desk)
        .alias(document=vector)
        # `@@` rather than rank alone: ts_rank can score a partial match of an AND query.
        .filter(document=search_query)
        .annotate(rank=SearchRank(F("document"), search_query))
        .filter(rank__gt=0)
        .order_by("-rank", "position", "pk")
    )
    return list(qs[:limit])


def _stemmed(*, desk: ServiceDesk | None, language: str, words: list[str], combine, limit: int) -> list[Article]:
    """Without PostgreSQL: each word's stem must (search) or may (suggest) be among the
    article's stems; ranked like PostgreSQL's weights, a stem in the title counting most."""
    code = "es" if _is_spanish(language) else "en"
    stems = list(dict.fromkeys(stems_of(" ".join(words), language=code)))
    if not stems:
        return []
    column = f"search_{code}"
    condition = reduce(combine, (Q(**{f"{column}__contains": f" {stem} "}) for stem in stems))
    candidates = list(article_published_queryset(desk=desk).filter(condition)[:200])

    def score(article: Article) -> float:
        weights = ((3.0, article.localized_title), (2.0, article.localized_summary), (1.0, article.localized_body))
        total = 0.0
        for weight, text in weights:
            found = set(stems_of(text, language=code))
            total += weight * sum(stem in found for stem in stems)
        return total

    with translation.override(code):
        ranked = sorted(candidates, key=lambda a: (-score(a), a.position, a.pk))
    return ranked[:limit]
