from django.db import DatabaseError


def test_health_endpoint_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_endpoint_is_503_when_the_database_fails(client, db, monkeypatch):
    from frontend import views

    def broken_cursor():
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(views.connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_health_endpoint_costs_one_query(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        client.get("/healthz")


def test_home_page_renders_for_anonymous_visitors(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Log in" in response.content
