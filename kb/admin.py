from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "desk",
        "topic",
        "slug",
        "position",
        "is_published",
        "helpful_yes",
        "helpful_no",
        "updated_at",
    ]
    list_filter = ["desk", "is_published"]
    list_select_related = ["desk"]
    search_fields = ["title", "title_es", "summary", "summary_es", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["desk", "slug", "position", "is_published"]}),
        ("English", {"fields": ["topic", "title", "summary", "body"]}),
        ("Español", {"fields": ["topic_es", "title_es", "summary_es", "body_es"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                yes=Count("feedback", filter=Q(feedback__helpful=True)),
                no=Count("feedback", filter=Q(feedback__helpful=False)),
            )
        )

    @admin.display(description=_("Helpful"), ordering="yes")
    def helpful_yes(self, article):
        return article.yes

    @admin.display(description=_("Not helpful"), ordering="no")
    def helpful_no(self, article):
        return article.no
