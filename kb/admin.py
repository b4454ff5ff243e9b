from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "desk", "slug", "position", "is_published", "updated_at"]
    list_filter = ["desk", "is_published"]
    list_select_related = ["desk"]
    search_fields = ["title", "title_es", "summary", "summary_es", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["desk", "slug", "position", "is_published"]}),
        ("English", {"fields": ["title", "summary", "body"]}),
        ("Español", {"fields": ["title_es", "summary_es", "body_es"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
