"""No page shows template source. Django prints a malformed tag or comment as text (a `{# #}`
comment is one line only), so every page a student, a teacher and an administrator can reach is
rendered with realistic data (the seeded bank and demo class, plus quizzes, attempts and
practice answers of every question type) and its text and attribute values are searched for
template syntax.

The pages are discovered rather than listed where they can be: the admin pages are every URL of
every registered ModelAdmin (changelists, add and change forms, history, delete, and custom
views such as reports, previews and imports), each with objects the signed-in user can see,
the admin site's own pages and the intermediate pages of every action. An admin page added
later is covered without touching this file. The student pages follow the web app's URL
patterns, which tests/security/web_pages.py classifies; a new one must be given URLs here.
"""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from quizapp.accounts.models import User
from quizapp.bank import grading
from quizapp.bank.answer_forms import previous_answer
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import Deck, Question, Source
from quizapp.classroom.management.commands.seed_demo import DEMO_QUIZ
from quizapp.classroom.models import Classroom
from quizapp.quizzes.models import Attempt, FeedbackMode, Quiz
from quizapp.quizzes.services import attempt_answer_save, attempt_start, attempt_submit
from quizapp.quizzes.tasks import record_attempt_reviews
from quizapp.study.models import DeckPreset
from quizapp.study.services import deck_preset_assign, deck_preset_create
from quizapp.study.sync import studyable_questions
from tests.factories import QuizFactory, StudentFactory
from tests.security.web_pages import PAGES

TEMPLATE_SYNTAX = ("{{", "{%", "%}", "{#", "#}")
"""What Django prints of a malformed tag, variable or comment. (A lone `}}` also closes JSON
objects, e.g. in the admin's inline formset attributes.)"""


class _PageText(HTMLParser):
    """The text and attribute values of a page, outside scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        self.parts += [value for _, value in attrs if value]

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def template_source_in(html: str) -> list[str]:
    """Each piece of text (or attribute value) that contains template syntax."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    return [part.strip()[:120] for part in parser.parts if any(s in part for s in TEMPLATE_SYNTAX)]


def test_template_source_is_found_in_text_and_attributes_but_not_in_scripts():
    assert template_source_in("<p>{# a comment\n over two lines #}</p>") == [
        "{# a comment\n over two lines #}"
    ]
    assert template_source_in('<a title="{{ name }}">x</a>') == ["{{ name }}"]
    assert template_source_in("<p>&#123;% url %&#125;</p>") == ["{% url %}"]
    assert template_source_in('<script>if (a) {{}}</script><p>{"a": {"b": 1} }</p>') == []


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    student: User
    teacher: User
    superuser: User
    questions: dict[str, Question]  # one published question of every type
    flashcards: dict[str, Question]  # one of every type the student's open quizzes leave alone
    every_type: dict[str, Quiz]  # a quiz of them per feedback mode
    attempts: list  # the student's, in every state
    classroom: Classroom
    preset: DeckPreset  # a named deck preset of the student's


def _answer(question: Question) -> object:
    """A well-formed answer in the shape `grading.grade` takes: the right one."""
    return grading.correct_answer(question.answer_key())


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    call_command("seed_content", verbosity=0, stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    student, teacher, superuser = (
        User.objects.get(username=name) for name in ("ani", "teacher", "admin")
    )
    questions = {
        qtype.value: Question.objects.with_answer_parts()
        .published()
        .filter(type=qtype.value)
        .order_by("slug")
        .first()
        for qtype in QuestionType
    }
    assert all(questions.values()), "the seeded bank has a question of every type"
    # The teacher's own questions (the seeded ones are shared, read-only to teachers).
    Question.objects.filter(pk__in=[q.pk for q in questions.values()]).update(owner=teacher)
    closes = timezone.now() + timedelta(days=7)
    every_type = {
        mode: QuizFactory(
            title=f"Every type ({mode})",
            owner=teacher,
            questions=list(questions.values()),
            feedback_mode=mode,
            closes_at=closes,
            time_limit=timedelta(minutes=30),
        )
        for mode in FeedbackMode.values
    }
    attempts = []
    for quiz in every_type.values():
        # Submitted with every answer right, submitted with none, and in progress with half.
        with django_capture_on_commit_callbacks(execute=True):
            full = attempt_start(user=student, quiz=quiz)
            for question in questions.values():
                attempt_answer_save(attempt=full, question_id=question.pk, answer=_answer(question))
            attempt_submit(attempt=full)
            attempt_submit(attempt=attempt_start(user=student, quiz=quiz))
        running = attempt_start(user=student, quiz=quiz)
        for question in list(questions.values())[::2]:
            attempt_answer_save(attempt=running, question_id=question.pk, answer=_answer(question))
        attempts += [full, running]
    other = StudentFactory(username="nare")
    classroom = Classroom.objects.get()
    classroom.students.add(other, through_defaults={"joined_at": timezone.now()})
    attempt_submit(attempt=attempt_start(user=other, quiz=every_type[FeedbackMode.AFTER_SUBMIT]))
    # A row for each admin model that the app itself fills only now and then.
    AuthToken.objects.create(user=student)
    AccessAttempt.objects.create(username="ani", ip_address="10.0.0.1", failures_since_start=1)
    AccessFailureLog.objects.create(username="ani", ip_address="10.0.0.1")
    AccessLog.objects.create(username="ani", ip_address="10.0.0.1")
    record_attempt_reviews.enqueue(attempt_id=attempts[0].pk)
    # The quizzes' own questions are withheld from the student's study while they run.
    studyable = studyable_questions(user=student).with_answer_parts().order_by("slug")
    flashcards = {qtype.value: studyable.filter(type=qtype.value).first() for qtype in QuestionType}
    assert all(flashcards.values()), "the seeded bank has a flashcard of every type to spare"
    preset = deck_preset_create(user=student, name="Exam term", desired_retention=0.95)
    deck_preset_assign(user=student, deck=Deck.objects.order_by("position").first(), preset=preset)
    return World(
        student, teacher, superuser, questions, flashcards, every_type, attempts, classroom, preset
    )


# --------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    label: str
    status: int
    html: bool
    source: list[str]


def fetch(client: Client, method: str, url: str, data=None, **extra) -> Fetched:
    """One request, rolled back afterwards so that no page changes what the next one sees."""
    with transaction.atomic():
        response = getattr(client, method)(url, data or {}, **extra)
        transaction.set_rollback(True)
    html = response.get("Content-Type", "").startswith("text/html")
    content = response.content.decode() if html and not response.streaming else ""
    label = f"{method.upper()} {url}" + (f" {dict(data)}" if data else "")
    return Fetched(label, response.status_code, html, template_source_in(content))


def assert_no_template_source(pages: list[Fetched]) -> None:
    leaks = {page.label: page.source for page in pages if page.source}
    assert not leaks, "template source shown as text:\n" + "\n".join(
        f"{label}: {found}" for label, found in leaks.items()
    )


def assert_no_server_error(pages: list[Fetched]) -> None:
    server_errors = [page.label for page in pages if page.status >= 500]
    assert not server_errors, f"server errors: {server_errors}"


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- students


HTMX = {"headers": {"HX-Request": "true"}}


def student_urls(world: World) -> dict[str, list[str]]:
    """The URLs of every HTML page of the web app, in each state worth seeing."""
    deck = Deck.objects.order_by("position").first()
    source = Source.objects.get()
    demo = Quiz.objects.get(title=DEMO_QUIZ)
    quizzes = [demo, *world.every_type.values()]
    cards = [q.pk for q in world.flashcards.values()]
    return {
        "home": ["/"],
        "login": [reverse("login")],
        "signup": [reverse("signup")],
        "password_change": [reverse("password_change")],
        "password_change_done": [reverse("password_change_done")],
        "study": [reverse("study"), *(f"{reverse('study')}?card={pk}" for pk in cards)],
        "study_deck": [reverse("study_deck", args=[deck.slug])],
        "practice": [reverse("practice"), *(f"{reverse('practice')}?card={pk}" for pk in cards)],
        "practice_deck": [reverse("practice_deck", args=[deck.slug])],
        "progress": [reverse("progress")],
        "source_list": [reverse("source_list")],
        "source_detail": [
            reverse("source_detail", args=[source.slug]),
            *(
                f"{reverse('source_detail', args=[source.slug])}?q={q.slug}"
                for q in [*world.questions.values(), *world.flashcards.values()]
            ),
        ],
        "learner_settings": [reverse("learner_settings")],
        "deck_preset_new": [reverse("deck_preset_new")],
        "deck_preset_edit": [reverse("deck_preset_edit", args=[world.preset.pk])],
        "account_delete": [reverse("account_delete")],
        "quiz_list": [reverse("quiz_list")],
        "quiz_detail": [reverse("quiz_detail", args=[quiz.pk]) for quiz in quizzes],
        "attempt_detail": [reverse("attempt_detail", args=[a.pk]) for a in world.attempts],
        "attempt_submit": [reverse("attempt_submit", args=[a.pk]) for a in world.attempts],
        "class_list": [reverse("class_list")],
        "class_leave": [reverse("class_leave", args=[world.classroom.pk])],
    }


def student_posts(world: World) -> list[tuple[str, dict, dict]]:
    """Forms whose answer is a page (or a part of one that htmx swaps in): graded and refused
    practice answers of every type, refused quiz answers, and forms with errors."""
    posts = []
    for question in world.flashcards.values():
        key = question.answer_key()
        right = previous_answer(key, grading.correct_answer(key))
        fields = {"question": question.pk, "mode": "practice"}
        for data in ({**fields, **{k: right.getlist(k) for k in right}}, fields):
            posts += [(reverse("practice_answer"), data, extra) for extra in ({}, HTMX)]
    running = next(a for a in world.attempts if not a.is_submitted)
    for question in world.questions.values():
        url = reverse("attempt_answer", args=[running.pk, question.pk])
        posts += [(url, {}, {}), (url, {}, HTMX)]
    return [
        *posts,
        (reverse("class_list"), {"code": "NOT-A-CODE"}, {}),
        (reverse("learner_settings"), {"new_cards_per_day": "900"}, {}),
        (reverse("deck_preset_new"), {"name": ""}, {}),
        (reverse("deck_preset_edit", args=[world.preset.pk]), {"desired_retention": "2"}, {}),
        (reverse("password_change"), {"old_password": "wrong"}, {}),
        (reverse("account_delete"), {"password": "wrong"}, {}),
        (reverse("study_review"), {"rating": "9"}, {}),
        (reverse("study_review"), {"rating": "9"}, HTMX),
        (reverse("study_undo"), {}, HTMX),
    ]


def test_no_student_page_shows_template_source(world):
    urls = student_urls(world)
    html_pages = {name for name, page in PAGES.items() if page.html and "GET" in page.methods}
    assert html_pages <= set(urls), f"give these pages URLs here: {html_pages - set(urls)}"
    client = signed_in(world.student)
    pages = [fetch(client, "get", url) for name in sorted(html_pages) for url in urls[name]]
    unreached = [(page.label, page.status) for page in pages if page.status >= 400]
    assert not unreached, unreached
    for url, data, extra in student_posts(world):
        pages.append(fetch(client, "post", url, data, **extra))
    anonymous = Client(raise_request_exception=False)
    pages += [fetch(anonymous, "get", url) for url in ("/", reverse("login"), reverse("signup"))]
    pages += [fetch(anonymous, "post", reverse("signup"), {"username": "x"})]
    assert_no_server_error(pages)
    assert_no_template_source(pages)


# --------------------------------------------------------------------------- the admin


def _visible_samples(model_admin, request) -> list:
    """A few objects the user can see in this admin: one of each `type` where there is one."""
    queryset = model_admin.get_queryset(request).order_by("pk")
    if any(field.name == "type" for field in model_admin.model._meta.fields):
        firsts = {}
        for obj in queryset:
            firsts.setdefault(obj.type, obj)
        return list(firsts.values())
    return list(queryset[:1])


@dataclass(frozen=True)
class AdminPage:
    pattern: str  # the URL pattern's name, "admin:…"
    url: str
    objects: tuple = ()


def admin_pages(user) -> tuple[list[AdminPage], dict]:
    """Every page of the admin site for this user: the site's own, and each URL pattern of each
    registered ModelAdmin with each sample object (for patterns that name one). Also returns
    the sample objects per ModelAdmin, for the actions."""
    request = RequestFactory().get("/admin/")
    request.user = user
    site = admin.site
    pages = [
        AdminPage(f"admin:{name}", reverse(f"admin:{name}"))
        for name in ("index", "password_change", "password_change_done")
    ]
    for app_label in sorted({model._meta.app_label for model in site._registry}):
        url = reverse("admin:app_list", kwargs={"app_label": app_label})
        pages.append(AdminPage("admin:app_list", url))
    samples = {}
    for model_admin in site._registry.values():
        samples[model_admin] = _visible_samples(model_admin, request)
        for pattern in model_admin.urls:
            if not pattern.name:
                continue  # the old-style change URL, which redirects
            name = f"admin:{pattern.name}"
            parameters = list(pattern.pattern.converters)
            if not parameters:
                pages.append(AdminPage(name, reverse(name)))
                continue
            for obj in samples[model_admin]:
                # The object's own id, and for a page of one of its parts (an attempt of a
                # class), each sample part: never ids that happen to match.
                choices = [[obj.pk]] + [PART_SAMPLES[p](obj) for p in parameters[1:]]
                for values in itertools.product(*choices):
                    url = reverse(name, kwargs=dict(zip(parameters, values, strict=True)))
                    pages.append(AdminPage(name, url, (obj,)))
    return pages, samples


PART_SAMPLES = {
    # A class's attempt review: the attempts of its students.
    "attempt_id": lambda classroom: list(
        Attempt.objects.filter(user__enrolments__classroom=classroom)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    ),
}
"""Sample values of the URL parameters that name a part of the page's object."""


def action_posts(samples: dict) -> list[tuple[str, dict]]:
    """Each action of each ModelAdmin run on its sample objects (rolled back afterwards):
    some answer with an intermediate page (confirm deletion, add to a quiz, assign to a class)."""
    posts = []
    for model_admin, objects in samples.items():
        if not objects:
            continue
        request = RequestFactory().get("/admin/")
        request.user = User.objects.get(username="admin")
        for action in model_admin.get_actions(request):
            opts = model_admin.model._meta
            posts.append(
                (
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                    {
                        "action": action,
                        "_selected_action": [obj.pk for obj in objects],
                        "index": 0,
                        "select_across": 0,
                    },
                )
            )
    return posts


def preview_posts(world: World) -> list[tuple[str, dict]]:
    """The question preview grades an answer: a right one and an empty one, of every type."""
    posts = []
    for question in world.questions.values():
        url = reverse("admin:bank_question_preview", args=[question.pk])
        right = previous_answer(question.answer_key(), _answer(question))
        posts += [(url, {k: right.getlist(k) for k in right}), (url, {})]
    return posts


@pytest.mark.parametrize("role", ["teacher", "superuser"])
def test_no_admin_page_shows_template_source(world, role):
    user = getattr(world, role)
    client = signed_in(user)
    pages, samples = admin_pages(user)
    fetched = [fetch(client, "get", page.url) for page in pages]
    assert_no_server_error(fetched)
    # Every form with empty data (its errors), every action, and the previews' grading.
    forms = [page.url for page in pages if page.objects or page.url.endswith("/add/")]
    posted = [fetch(client, "post", url) for url in forms if "/delete/" not in url]
    posted += [fetch(client, "post", url, data) for url, data in action_posts(samples)]
    posted += [fetch(client, "post", url, data) for url, data in preview_posts(world)]
    # A server error is a bug wherever it is met: every form, action and preview answers.
    assert_no_server_error(posted)
    assert_no_template_source(fetched + posted)
    if role == "superuser":
        # Every admin URL pattern was rendered as a page at least once, unless the ModelAdmin
        # refuses it to everyone (403: adding attempts, deleting task results).
        rendered = {
            page.pattern
            for page, result in zip(pages, fetched, strict=True)
            if (result.status == 200 and result.html) or result.status == 403
        }
        missing = {page.pattern for page in pages} - rendered
        no_objects = [m._meta.label for m, ma in admin.site._registry.items() if not samples[ma]]
        assert not no_objects, f"add a row of each of these to the world: {no_objects}"
        assert not missing, f"admin pages never rendered: {missing}"
    assert_no_template_source([fetch(Client(), "get", reverse("admin:login"))])
