"""A NUL character (%00) in a URL's path or query, or in a form field, is refused with 400 before
any view sees it, on every face: PostgreSQL cannot store or even compare text holding one, so
an admin list filter like `?status__exact=%00` was a server error there. The web and admin
answer a small page naming the parameter; the API its error body."""

import pytest
from django.test import Client
from django.urls import reverse

from quizapp.bank.models import Question
from quizapp.study.models import Review
from tests.security.conftest import error_of, token_client
from tests.security.web_pages import PAGES, frontend_pattern_names, url_of


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_bad_request_page(response, name: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Bad request</h1>" in html
    assert f"“{name}”" in html and "NUL character" in html


@pytest.mark.parametrize("name", frontend_pattern_names())
def test_a_nul_in_the_query_of_any_web_page_is_a_400_page_naming_the_parameter(world, name):
    page = PAGES[name]
    client = signed_in(world.learner)
    url = url_of(name, world) + "?page=2&filter=a%00b"
    response = getattr(client, page.methods[0].lower())(url)
    assert_bad_request_page(response, "filter")


@pytest.mark.parametrize(
    "name", [name for name in frontend_pattern_names() if "POST" in PAGES[name].methods]
)
def test_a_nul_in_a_form_field_of_any_web_form_is_a_400_page_and_nothing_is_saved(world, name):
    client = signed_in(world.learner)
    reviews = Review.objects.count()
    response = client.post(url_of(name, world), {"rating": "3", "answer": "Yere\x00van"})
    assert_bad_request_page(response, "answer")
    assert Review.objects.count() == reviews
    assert not world.attempt.questions.filter(response__isnull=False).exists()


def test_a_nul_in_the_login_form_is_a_400_page(db):
    response = Client().post("/accounts/login/", {"username": "ani\x00", "password": "x"})
    assert_bad_request_page(response, "username")


@pytest.mark.parametrize(
    "query",
    ["status__exact=%00", "q=%00", "type__exact=single_choice&deck__id__exact=%00"],
)
def test_a_nul_in_an_admin_list_filter_is_a_400_page_not_a_server_error(world, query):
    client = signed_in(world.teacher)
    assert client.get(reverse("admin:bank_question_changelist")).status_code == 200
    response = client.get(f"{reverse('admin:bank_question_changelist')}?{query}")
    assert_bad_request_page(response, query.rsplit("&", 1)[-1].split("=")[0])
    assert Question.objects.exists()


def test_a_nul_in_a_parameter_name_is_named_readably(world):
    response = signed_in(world.learner).get(reverse("home") + "?a%00b=1")
    assert_bad_request_page(response, "a%00b")


def test_a_nul_in_a_web_path_is_a_400_page(world):
    response = signed_in(world.learner).get("/sources/the-article%00/")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/decks?title=%00",
        "/api/v1/sync?since=abc%00",
        "/api/v1/study/queue?deck=capitals%00",
        "/api/v1/quizzes?limit=1%00",
    ],
)
def test_a_nul_in_an_api_query_parameter_is_a_400_error_body_naming_it(world, url):
    response = token_client(world.learner).get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "invalid"
    name = url.split("?")[1].split("=")[0]
    assert list(error["fields"]) == [name]
    assert "NUL" in error["fields"][name][0]


def test_a_nul_in_an_api_path_is_a_400_error_body(world):
    response = token_client(world.learner).get("/api/v1/decks/capitals%00")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and "NUL" in error["message"]


def test_refusing_a_nul_costs_no_more_than_knowing_who_asks(world, django_assert_max_num_queries):
    client = signed_in(world.learner)
    with django_assert_max_num_queries(2):  # the session and the user, for the page's header
        assert client.get(reverse("quiz_list") + "?q=%00").status_code == 400
    api = token_client(world.learner)
    with django_assert_max_num_queries(0):
        assert api.get("/api/v1/decks?title=%00").status_code == 400
