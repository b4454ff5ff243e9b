"""Reads of help articles: ranked full-text search on PostgreSQL, a plain `icontains`
fallback on the embedded SQLite database."""

import re
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Coalesce, NullIf

from tickets.models import ServiceDesk

from .models import Article

SUGGEST_MIN_WORD_LENGTH = 3
SUGGEST_MAX_WORDS = 8
_TEXT_FIELDS = ("title", "summary", "body")
_WORD = re.compile(r"\w+")


def article_published_queryset(*, desk: ServiceDesk | None = None) -> QuerySet[Article]:
    qs = Article.objects.filter(is_published=True, desk__is_active=True).select_related("desk")
    if desk is not None:
        qs = qs.filter(desk=desk)
    return qs


def article_get_published(*, desk_slug: str, slug: str) -> Article:
    """A published article of an active desk; Article.DoesNotExist otherwise."""
    return article_published_queryset().get(desk__slug=desk_slug, slug=slug)


def article_search(*, query: str, language: str, desk: ServiceDesk | None = None, limit: int = 10) -> list[Article]:
    """Published articles matching every word of the query, best match first."""
    query = query.strip()
    if not query:
        return []
    if connection.vendor != "postgresql":
        words = _WORD.findall(query)
        if not words:
            return []
        return _fallback(desk=desk, words=words, combine=and_, limit=limit)
    return _ranked(desk=desk, language=language, query=query, limit=limit)


def article_suggest(*, text: str, language: str, desk: ServiceDesk | None = None, limit: int = 5) -> list[Article]:
    """Articles that may answer what a customer is typing: any of its words may match."""
    words = _suggest_words(text)
    if not words:
        return []
    if connection.vendor != "postgresql":
        return _fallback(desk=desk, words=words, combine=or_, limit=limit)
    return _ranked(desk=desk, language=language, query=" OR ".join(words), limit=limit)


def _suggest_words(text: str) -> list[str]:
    # Only word characters survive, so the customer's text cannot inject websearch syntax
    # (quotes, "-" negation); short words are mostly noise for a suggestion.
    words = []
    for word in _WORD.findall(text):
        if len(word) >= SUGGEST_MIN_WORD_LENGTH and word.lower() not in words:
            words.append(word.lower())
    return words[:SUGGEST_MAX_WORDS]


def _ranked(*, desk: ServiceDesk | None, language: str, query: str, limit: int) -> list[Article]:
    spanish = (language or "").lower().startswith("es")
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


def _fallback(*, desk: ServiceDesk | None, words: list[str], combine, limit: int) -> list[Article]:
    """Without PostgreSQL: each word must (search) or may (suggest) appear in some text."""
    per_word = [
        reduce(or_, (Q(**{f"{field}{suffix}__icontains": word}) for field in _TEXT_FIELDS for suffix in ("", "_es")))
        for word in words
    ]
    qs = article_published_queryset(desk=desk).filter(reduce(combine, per_word)).order_by("position", "title", "pk")
    return list(qs[:limit])
