"""The knowledge base: ranked search, suggestions while typing, and the article page."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from kb.models import Article
from kb.selectors import article_get_published, article_search, article_suggest
from tickets.models import ServiceDesk

CCMS_SLUG = "connect-ccms-attendance"
CCMS_URL = reverse("kb:article_detail", args=["child-care-provider", CCMS_SLUG])
SUGGEST_URL = reverse("kb:suggest")


@pytest.fixture
def articles(catalogue):
    articles_import(data=articles_load_file(DEMO_ARTICLES))
    return Article.objects.all()


def slugs(found):
    return [article.slug for article in found]


def test_it_ranks_the_ccms_guide_first_in_english(articles):
    found = article_search(query="attendance CCMS", language="en")
    assert slugs(found)[0] == CCMS_SLUG


def test_it_ranks_the_ccms_guide_first_in_spanish(articles):
    with translation.override("es"):
        found = article_search(query="asistencia", language="es")
        assert slugs(found)[0] == CCMS_SLUG
        assert found[0].localized_title.startswith("Conecte su sistema")


def test_it_requires_every_word_of_a_search(articles):
    assert article_search(query="attendance SFTP", language="en") == []


def test_it_finds_spanish_words_only_in_spanish(articles):
    assert article_search(query="contraseña", language="en") == []
    assert slugs(article_search(query="contraseña", language="es"))[0] == "reset-password-unlock-account"


def test_it_searches_the_english_text_of_an_article_without_spanish(articles):
    Article.objects.filter(slug="sftp-connection-checklist").update(title_es="", summary_es="", body_es="")
    found = article_search(query="firewall", language="es")
    assert slugs(found) == ["sftp-connection-checklist"]


def test_it_limits_a_search_to_one_desk(articles):
    edi = ServiceDesk.objects.get(key="EDI")
    assert article_search(query="attendance CCMS", language="en", desk=edi) == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_it_returns_nothing_for_an_empty_query(articles, query):
    assert article_search(query=query, language="en") == []
    assert article_suggest(text=query, language="en") == []


def test_it_suggests_the_ccms_guide_from_a_summary(articles):
    found = article_suggest(text="How do I share attendance from brightwheel?", language="en")
    assert slugs(found)[0] == CCMS_SLUG


def test_it_suggests_nothing_from_short_words_only(articles):
    assert article_suggest(text="is it ok?", language="en") == []


def test_it_ignores_search_syntax_in_a_suggestion(articles):
    found = article_suggest(text='"brightwheel -attendance', language="en")
    assert slugs(found) == [CCMS_SLUG]


def test_it_never_returns_an_unpublished_article(articles, client, customer):
    Article.objects.filter(slug=CCMS_SLUG).update(is_published=False)
    assert CCMS_SLUG not in slugs(article_search(query="attendance CCMS", language="en"))
    assert CCMS_SLUG not in slugs(article_suggest(text="share attendance from brightwheel", language="en"))
    with pytest.raises(Article.DoesNotExist):
        article_get_published(desk_slug="child-care-provider", slug=CCMS_SLUG)
    client.force_login(customer)
    assert client.get(CCMS_URL).status_code == 404


def test_it_falls_back_to_icontains_without_postgresql(articles, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert slugs(article_search(query="attendance CCMS", language="en")) == [CCMS_SLUG]
    assert slugs(article_search(query="asistencia", language="es")) == [CCMS_SLUG]
    assert CCMS_SLUG in slugs(article_suggest(text="share from brightwheel", language="en"))
    assert article_search(query="  ", language="en") == []


def test_it_renders_an_article_in_english(articles, client, customer):
    client.force_login(customer)
    response = client.get(CCMS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1" in page and "Connect your child care management system (CCMS)" in page
    assert reverse("portal:desk_detail", args=["child-care-provider"]) in page
    assert "Data Entry Settings" in page


def test_it_renders_an_article_in_the_users_language(articles, client, customer):
    customer.language = "es"
    customer.save()
    client.force_login(customer)
    page = client.get(CCMS_URL).content.decode()
    assert "Conecte su sistema de gestión de cuidado infantil (CCMS)" in page
    assert "Connect your child care management system" not in page


def test_it_answers_404_for_an_unknown_article(articles, client, customer):
    client.force_login(customer)
    assert client.get(reverse("kb:article_detail", args=["child-care-provider", "nope"])).status_code == 404
    assert client.get(reverse("kb:article_detail", args=["edi-support", CCMS_SLUG])).status_code == 404


def test_it_shows_a_script_in_an_article_body_as_text(articles, client, customer):
    Article.objects.filter(slug=CCMS_SLUG).update(body="Hello <script>alert(1)</script> {{ secret }}")
    client.force_login(customer)
    page = client.get(CCMS_URL).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ secret }}" in page


def test_it_suggests_articles_as_json(articles, client, customer):
    client.force_login(customer)
    response = client.get(
        SUGGEST_URL, {"q": "How do I share attendance from brightwheel?", "desk": "child-care-provider"}
    )
    assert response.status_code == 200
    first = response.json()["articles"][0]
    assert first["url"] == CCMS_URL
    assert first["title"].startswith("Connect your child care management system")
    assert first["summary"]


def test_it_suggests_in_the_users_language(articles, client, customer):
    customer.language = "es"
    customer.save()
    client.force_login(customer)
    response = client.get(SUGGEST_URL, {"q": "¿Cómo comparto la asistencia desde brightwheel?"})
    assert response.json()["articles"][0]["title"].startswith("Conecte su sistema")


def test_it_suggests_nothing_for_another_or_unknown_desk(articles, client, customer):
    client.force_login(customer)
    text = "share attendance from brightwheel"
    assert client.get(SUGGEST_URL, {"q": text, "desk": "edi-support"}).json() == {"articles": []}
    assert client.get(SUGGEST_URL, {"q": text, "desk": "no-such-desk"}).json() == {"articles": []}
    assert client.get(SUGGEST_URL, {"q": ""}).json() == {"articles": []}


@pytest.mark.parametrize("url", [CCMS_URL, SUGGEST_URL])
def test_it_sends_an_anonymous_visitor_to_sign_in(articles, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_imports_the_demo_articles_idempotently(catalogue):
    data = articles_load_file(DEMO_ARTICLES)
    first = articles_import(data=data)
    assert first == Article.objects.count() >= 4
    Article.objects.filter(slug=CCMS_SLUG).update(title="Edited by hand")
    assert articles_import(data=data) == first
    assert Article.objects.count() == first
    assert Article.objects.get(slug=CCMS_SLUG).title.startswith("Connect your child care management system")


def test_it_skips_articles_of_an_unknown_desk(catalogue):
    data = {"version": 1, "articles": [{"desk": "NOPE", "slug": "x", "title": "X", "summary": "X", "body": "X"}]}
    assert articles_import(data=data) == 0
    assert not Article.objects.exists()


def test_it_gives_every_demo_article_both_languages(articles):
    for article in articles:
        for field in ("title", "summary", "body"):
            assert getattr(article, field) and getattr(article, f"{field}_es"), (article.slug, field)
