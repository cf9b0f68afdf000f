"""Browser sessions are stored with their user's id (quizapp.accounts.sessions), so a user's
sessions can be ended at once: when their password is set, when the account is deleted."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from knox.models import AuthToken

from quizapp.accounts.models import Session, User
from quizapp.accounts.services import user_password_set
from tests.factories import PASSWORD, StudentFactory

BEFORE = [("accounts", "0002_cache_table")]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_session_is_stored_with_its_user(db):
    learner = StudentFactory()
    client = signed_in(learner)
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == learner.pk
    client.logout()
    assert not Session.objects.filter(session_key=key).exists()


def test_setting_a_password_signs_that_user_out_everywhere_and_nobody_else(
    db, django_assert_max_num_queries
):
    learner, other = StudentFactory(), StudentFactory()
    browsers = [signed_in(learner), signed_in(learner)]
    bystander = signed_in(other)
    AuthToken.objects.create(user=learner)
    AuthToken.objects.create(user=other)
    with django_assert_max_num_queries(8):  # however many sessions and devices
        user_password_set(user=learner, password="a-brand-new-passphrase")
    assert not Session.objects.filter(user=learner).exists()
    assert not AuthToken.objects.filter(user=learner).exists()
    assert all(b.get("/settings/").status_code == 302 for b in browsers)
    assert bystander.get("/settings/").status_code == 200
    assert AuthToken.objects.filter(user=other).count() == 1
    learner.refresh_from_db()
    assert learner.check_password("a-brand-new-passphrase")


def test_turning_password_login_off_signs_the_user_out_too(db):
    learner = StudentFactory()
    signed_in(learner)
    user_password_set(user=learner, password=None)
    learner.refresh_from_db()
    assert not learner.has_usable_password()
    assert not Session.objects.filter(user=learner).exists()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_moves_djangos_sessions_with_their_users_and_keeps_them_signed_in():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    learner = User.objects.create_user("upgrading", password=PASSWORD)
    old = DjangoSessionStore()
    old[SESSION_KEY] = str(learner.pk)
    old[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    old[HASH_SESSION_KEY] = learner.get_session_auth_hash()
    old.create()
    anonymous = DjangoSessionStore()
    anonymous["visited"] = True
    anonymous.create()

    executor = MigrationExecutor(connection)  # the graph as it stands now
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Session.objects.get(session_key=old.session_key)
    assert moved.user_id == learner.pk
    assert Session.objects.get(session_key=anonymous.session_key).user_id is None
    assert not DjangoSessionStore.get_model_class().objects.exists()
    browser = Client()
    browser.cookies["sessionid"] = old.session_key
    assert browser.get("/settings/").status_code == 200
