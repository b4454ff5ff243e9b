from django import template
from django.utils.safestring import SafeString

from kb.text import article_html

register = template.Library()


@register.filter(name="article_markdown")
def article_markdown(text: str) -> SafeString:
    """An article's Markdown as sanitised HTML (kb.text.article_html)."""
    return article_html(text)
