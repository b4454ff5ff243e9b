from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tickets.models import Localized, ServiceDesk

from .text import stems_column


class Article(Localized):
    """A help article of one desk, written in Markdown (rendered through kb.text.article_html)."""

    desk = models.ForeignKey(ServiceDesk, on_delete=models.CASCADE, related_name="articles")
    slug = models.SlugField(max_length=120)
    topic = models.CharField(
        _("topic"), max_length=100, blank=True, help_text=_("Articles of a desk are listed under their topic.")
    )
    topic_es = models.CharField(_("topic (Spanish)"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    summary = models.CharField(_("one-line summary"), max_length=255)
    summary_es = models.CharField(_("one-line summary (Spanish)"), max_length=255, blank=True)
    body = models.TextField(
        _("body"), help_text=_("Markdown: ## headings, - lists, 1. steps, [links](https://…) and ![images](/…).")
    )
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Word stems of the texts per language, for the search on a database without PostgreSQL's
    # dictionaries (kb.selectors). Derived from the texts on every save; never edited.
    search_en = models.TextField(editable=False, blank=True, default="")
    search_es = models.TextField(editable=False, blank=True, default="")

    # No full-text index: a help centre holds hundreds of articles, not millions, and an
    # expression index would tie the migration to PostgreSQL (the embedded default is SQLite).

    class Meta:
        ordering = ["desk", "position", "title"]
        constraints = [models.UniqueConstraint(fields=["desk", "slug"], name="article_unique_slug")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.search_en, self.search_es = article_stems(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_en", "search_es"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("kb:article_detail", args=[self.desk.slug, self.slug])

    @property
    def localized_title(self) -> str:
        return self.localized("title")

    @property
    def localized_summary(self) -> str:
        return self.localized("summary")

    @property
    def localized_body(self) -> str:
        return self.localized("body")

    @property
    def localized_topic(self) -> str:
        return self.localized("topic")


def article_stems(article: Article) -> tuple[str, str]:
    """The stems of an article in English, and in Spanish (its English text where a Spanish one
    is missing, as the PostgreSQL search reads it)."""
    english = " ".join((article.title, article.summary, article.body))
    spanish = " ".join(
        getattr(article, f"{name}_es") or getattr(article, name) for name in ("title", "summary", "body")
    )
    return stems_column(english, language="en"), stems_column(spanish, language="es")


class ArticleFeedback(models.Model):
    """One person's answer to "Was this helpful?" on one article (a second answer replaces it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_feedback")
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="article_feedback_one_per_user")]

    def __str__(self):
        return f"{self.article} — {'yes' if self.helpful else 'no'}"
