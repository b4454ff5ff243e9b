"""How an article's text is shown and found: Markdown rendered and sanitised for the page, and
word stems for the search on a database without PostgreSQL's dictionaries."""

import re
import unicodedata
from functools import lru_cache
from typing import Any

import nh3
import snowballstemmer
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# What an article may contain once rendered: headings below the page's own <h1>, paragraphs,
# lists, links, images, emphasis, code, quotes and tables. Everything else is dropped (its text kept).
_TAGS = {
    "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "a", "img", "strong", "em", "code", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h1>")
_WORD = re.compile(r"\w+")
STEM_LANGUAGES = {"en": "english", "es": "spanish"}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "commonmark" with raw HTML off: a "<script>" typed in an article is shown as text.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def article_html(text: str) -> SafeString:
    """An article's Markdown as HTML that is safe to put on a page: markdown-it renders it and
    nh3 (the Ammonia sanitiser) keeps only the tags, attributes and URL schemes listed above."""
    html = _markdown().render(text or "")
    # The page's title is the only <h1>: a "# Heading" in the body becomes a section heading.
    html = _HEADING.sub(r"<\1h2>", html)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:  # snowballstemmer has no types
    return snowballstemmer.stemmer(STEM_LANGUAGES.get(language, "english"))


def words_of(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(unicodedata.normalize("NFC", text or ""))]


def stems_of(text: str, *, language: str) -> list[str]:
    """The Snowball stems of the words of a text, in order ("ausencias" -> "ausenci"): the
    algorithm PostgreSQL's english and spanish dictionaries use, so both searches agree."""
    stemmer = _stemmer(language)
    stems: list[str] = stemmer.stemWords(words_of(text))
    return stems


def stems_column(text: str, *, language: str) -> str:
    """The distinct stems of a text as one string " a b c ", so that `contains=" stem "` finds a
    whole stem and never part of one."""
    distinct = dict.fromkeys(stems_of(text, language=language))
    return f" {' '.join(distinct)} " if distinct else ""
