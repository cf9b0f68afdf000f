from quizapp.study import scheduling
from quizapp.study.fitting import DEFAULT_PARAMETERS
from quizapp.study.models import LearnerSettings, ReviewDay
from tests.frontend.conftest import NOW, csrf_token, record

VALID = {
    "desired_retention": "0.85",
    "new_cards_per_day": "15",
    "max_reviews_per_day": "150",
    "learning_steps": "1m 10m",
    "relearning_steps": "10m",
    "maximum_interval": "36500",
    "time_zone": "Asia/Yerevan",
    "day_start_hour": "5",
}


def test_settings_show_the_current_values_and_the_retention_trade_off(signed_in, learner):
    LearnerSettings.objects.create(user=learner, new_cards_per_day=12, time_zone="Asia/Baku")
    html = signed_in.get("/settings/").content.decode()
    assert 'name="new_cards_per_day" value="12"' in html
    assert '<option value="Asia/Baku" selected>' in html
    assert "Higher retention means shorter intervals and so more reviews" in html
    for field in VALID:
        assert f'<label for="id_{field}">' in html


def test_saving_settings_updates_them_through_the_service(signed_in, learner, bank):
    at = NOW.replace(hour=2)  # 02:00 UTC: the study day before, in UTC with a 04:00 start
    record(learner, bank.single, 3, at=at)
    response = signed_in.post("/settings/", VALID)
    assert response.status_code == 302 and response["Location"] == "/settings/"
    settings = LearnerSettings.objects.get(user=learner)
    assert (settings.desired_retention, settings.new_cards_per_day) == (0.85, 15)
    assert (settings.time_zone, settings.day_start_hour) == ("Asia/Yerevan", 5)
    # 02:00 UTC is 06:00 in Yerevan: after the 05:00 day start, so that day, not the one before.
    day = scheduling.day_number(at, tz="Asia/Yerevan", day_start_hour=5)
    assert day == scheduling.day_number(at, tz="UTC", day_start_hour=4) + 1
    assert list(ReviewDay.objects.filter(user=learner).values_list("day", flat=True)) == [day]
    assert "Your settings are saved." in signed_in.get("/settings/").content.decode()


def test_bad_settings_re_render_with_messages_and_change_nothing(signed_in, learner):
    response = signed_in.post(
        "/settings/",
        {**VALID, "desired_retention": "0.99", "time_zone": "Mars/Olympus", "day_start_hour": "x"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 0.97." in html
    assert "Select a valid choice." in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert LearnerSettings.objects.get(user=learner).desired_retention == 0.9


def test_settings_enforce_csrf(csrf_client, learner):
    assert csrf_client.post("/settings/", VALID).status_code == 403
    token = csrf_token(csrf_client, "/settings/")
    response = csrf_client.post("/settings/", {**VALID, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_settings_are_each_learners_own(signed_in, learner, other_learner):
    LearnerSettings.objects.create(user=other_learner, new_cards_per_day=99)
    html = signed_in.get("/settings/").content.decode()
    assert 'value="99"' not in html
    signed_in.post("/settings/", VALID)
    assert LearnerSettings.objects.get(user=other_learner).new_cards_per_day == 99


def test_the_settings_page_takes_few_queries(signed_in, learner, django_assert_max_num_queries):
    LearnerSettings.objects.create(user=learner)
    # Session, user, settings; the presets, their decks and the decks; the workload simulation.
    with django_assert_max_num_queries(7):
        signed_in.get("/settings/")


def test_settings_show_how_the_last_refit_was_judged(signed_in, learner):
    LearnerSettings.objects.create(
        user=learner,
        last_fit_at=NOW,
        last_fit_log_loss=0.4213,
        last_fit_current_log_loss=0.4102,
        last_fit_applied=False,
    )
    html = signed_in.get("/settings/").content.decode()
    assert "The default FSRS parameters." in html
    assert "Last refit on 2 Mar 2026: log loss 0.4213" in html
    assert "against 0.4102 for the parameters then in use" in html
    assert "Not applied:" in html


def test_settings_show_personal_parameters_in_use(signed_in, learner):
    LearnerSettings.objects.create(
        user=learner,
        parameters=list(DEFAULT_PARAMETERS),
        parameters_fitted_at=NOW,
        parameters_review_count=1234,
        last_fit_at=NOW,
        last_fit_log_loss=0.40,
        last_fit_current_log_loss=0.41,
        last_fit_applied=True,
    )
    html = signed_in.get("/settings/").content.decode()
    assert "Personal FSRS parameters, fitted on 1,234 reviews on 2 Mar 2026." in html
    assert "<strong>Applied.</strong>" in html
