from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD


def test_cleaning_up_expired_access_attempts_removes_only_those_past_the_cool_off(
    django_user_model, django_assert_max_num_queries
):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)  # signing in cleans up too: the attempts come after it
    old = AccessAttempt.objects.create(
        username="ani", ip_address="10.0.0.1", failures_since_start=3
    )
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    recent = AccessAttempt.objects.create(
        username="elvin", ip_address="10.0.0.2", failures_since_start=1
    )
    with django_assert_max_num_queries(16):
        response = client.post(
            "/admin/axes/accessattempt/",
            {"action": "cleanup_expired_attempts", "_selected_action": [old.pk, recent.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "Cleaned up 1 expired access attempts." in response.content.decode()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["elvin"]
