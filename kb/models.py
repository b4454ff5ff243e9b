from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tickets.models import Localized, ServiceDesk


class Article(Localized):
    """A help article of one desk. Texts are plain text, shown with line breaks, never as HTML."""

    desk = models.ForeignKey(ServiceDesk, on_delete=models.CASCADE, related_name="articles")
    slug = models.SlugField(max_length=120)
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    summary = models.CharField(_("one-line summary"), max_length=255)
    summary_es = models.CharField(_("one-line summary (Spanish)"), max_length=255, blank=True)
    body = models.TextField(_("body"), help_text=_("Plain text; blank lines separate paragraphs."))
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # No full-text index: a help centre holds hundreds of articles, not millions, and an
    # expression index would tie the migration to PostgreSQL (the embedded default is SQLite).

    class Meta:
        ordering = ["desk", "position", "title"]
        constraints = [models.UniqueConstraint(fields=["desk", "slug"], name="article_unique_slug")]

    def __str__(self):
        return self.title

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
