"""The session engine (SESSION_ENGINE): Django's database sessions, stored in
`accounts.Session`, which records the signed-in user's id beside the encoded data.

The class keeps Django's name, SessionStore: the signing salt derives from it, so sessions
written by Django's own engine still decode (migration 0003 copies them over)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from quizapp.accounts.models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session
