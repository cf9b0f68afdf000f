"""Pages of the student web app.

Each view parses the request, calls the services and selectors the REST API calls too
(`quizapp.study.services` / `selectors` / `progress`, `quizapp.bank`) and renders. Forms post
normally and work without JavaScript; with htmx, the study page swaps only its card region
(`frontend/study.html#htmx-response`), which also updates the live region announcing results.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from frontend import charts
from frontend.forms import (
    DeckPresetForm,
    DeckPresetsForm,
    LearnerSettingsForm,
    ReviewForm,
    SignUpForm,
)
from frontend.highlighting import mark_quotes
from quizapp.bank.answer_forms import answer_from_form, answer_inputs, answer_text
from quizapp.bank.grading import InvalidKey, MalformedAnswer, grade
from quizapp.bank.models import Deck, Question, Quote, Source
from quizapp.bank.selectors import source_coverage
from quizapp.classroom.selectors import assignments_due_for
from quizapp.study.fitting import MIN_REVIEWS_FOR_FITTING
from quizapp.study.models import DeckPreset, Rating, ReviewSource, WorkloadSimulation
from quizapp.study.practice import proposed_rating
from quizapp.study.progress import learner_progress, learner_today, session_summary
from quizapp.study.scheduling import format_interval
from quizapp.study.selectors import (
    QueueEntry,
    deck_counts,
    exam_outlook,
    learner_presets,
    queue_entry_for,
    study_queue,
)
from quizapp.study.services import (
    Outcome,
    ReviewError,
    deck_preset_assign,
    deck_preset_create,
    deck_preset_delete,
    deck_preset_update,
    learner_settings_get,
    learner_settings_update,
    review_record,
    review_undo,
    workload_simulation_request,
)
from quizapp.study.sync import reviewable_questions, studyable_questions

FLASHCARD, PRACTICE = ReviewSource.FLASHCARD.value, ReviewSource.PRACTICE.value
STUDY_SINCE = "study_session_since"
"""Session key: when the current study session started, for its end-of-session summary."""


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "frontend/home.html")
    now = timezone.now()
    return render(
        request,
        "frontend/home.html",
        {
            "decks": [row for row in deck_counts(user=request.user, now=now) if row.total],
            "today": learner_today(user=request.user, now=now),
            "exams": exam_outlook(user=request.user, now=now),
            "assignments": list(assignments_due_for(request.user, now)[:10]),
        },
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create a student account and sign it in."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your account is ready: pick a deck to start.")
            return redirect("home")
        return render(request, "frontend/signup.html", {"form": form}, status=422)
    return render(request, "frontend/signup.html", {"form": form})


# --------------------------------------------------------------------------- study


@dataclass(frozen=True)
class RatingButton:
    value: int
    label: str
    interval: str
    proposed: bool = False


def _question_id(value: str | None) -> int:
    """A question id from a form or query field; 0 (no such question) when malformed. Ids, not
    slugs, go in pages and links: some slugs give the answer away."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 18 else 0


def _deck_or_none(slug: str | None) -> Deck | None:
    return Deck.objects.filter(slug=slug).first() if slug else None


def _study_url(deck: Deck | None, mode: str, card: str | None = None) -> str:
    name = ("practice" if mode == PRACTICE else "study") + ("_deck" if deck else "")
    url = reverse(name, kwargs={"deck_slug": deck.slug} if deck else None)
    return f"{url}?{urlencode({'card': card})}" if card else url


def _ratings(entry: QueueEntry, proposed: int | None = None) -> list[RatingButton]:
    return [
        RatingButton(value, label, format_interval(entry.intervals[value]), value == proposed)
        for value, label in Rating.choices
    ]


def _counts(user, deck: Deck | None, now) -> dict:
    """What is left to study: a deck's new / learning / due, or learning and due in all decks
    (new cards share one daily allowance, so per-deck new counts do not add up)."""
    rows = deck_counts(user=user, now=now)
    if deck is not None:
        row = next((r for r in rows if r.deck.pk == deck.pk), None)
        return {"new": row.new, "learning": row.learning, "due": row.due} if row else {}
    return {
        "new": None,
        "learning": sum(r.learning for r in rows),
        "due": sum(r.due for r in rows),
    }


def _card_context(
    request,
    entry: QueueEntry,
    *,
    mode: str,
    now,
    question: Question | None = None,
    previous: QueryDict | None = None,
) -> dict:
    """A card to answer: its parts, the rating buttons, and a fresh review id, generated now
    so that submitting the same form twice records one review. `previous` is the practice
    answer just posted for this card, to refill the form and keep its start time."""
    if question is None:
        question = Question.objects.with_answer_parts().get(pk=entry.question.pk)
    shown_at = previous.get("shown_at", "") if previous else ""
    context = {
        "region": "card",
        "entry": entry,
        "question": question,
        "card": question.flashcard(),
        "ratings": _ratings(entry),
        "review_id": uuid.uuid4(),
        "shown_at": shown_at
        if shown_at.isascii() and shown_at.isdigit()
        else int(now.timestamp() * 1000),
    }
    if mode == PRACTICE:
        context["inputs"] = answer_inputs(
            question.answer_key(),
            shuffle=question.shuffle_choices,
            seed=f"{request.user.pk}-{question.pk}",
            previous=previous,
        )
    return context


def _summary_context(request, deck: Deck | None, now) -> dict:
    started = request.session.pop(STUDY_SINCE, None)
    since = (parse_datetime(started) if started else None) or now
    summary = session_summary(user=request.user, since=since, deck=deck, now=now)
    return {
        "region": "summary",
        "summary": summary,
        "today": learner_today(user=request.user, now=now),
        "next_due_in": format_interval(summary.next_due - now) if summary.next_due else "",
    }


def _study_context(request, deck: Deck | None, mode: str, *, card: str | None = None) -> dict:
    """The study region: the given card, else the head of the queue, else the summary."""
    now = timezone.now()
    if card:
        question = get_object_or_404(studyable_questions(user=request.user), pk=_question_id(card))
        entry = queue_entry_for(user=request.user, question=question, now=now)
    else:
        queue = study_queue(user=request.user, deck=deck, limit=1, now=now)
        entry = queue[0] if queue else None
    context = {"deck": deck, "mode": mode, "counts": _counts(request.user, deck, now)}
    if entry is None:
        return context | _summary_context(request, deck, now)
    request.session.setdefault(STUDY_SINCE, now.isoformat())
    return context | _card_context(request, entry, mode=mode, now=now)


def _render_study(request, context: dict, *, status: int = 200) -> HttpResponse:
    template = "frontend/study.html#htmx-response" if request.htmx else "frontend/study.html"
    return render(request, template, context, status=status)


@login_required
@require_safe
def study(request: HttpRequest, deck_slug: str | None = None, mode: str = FLASHCARD):
    """A study session: flashcards (`/study/`) or answer-first practice (`/practice/`), over
    all decks or one; `?card=<question id>` shows that card first."""
    deck = get_object_or_404(Deck, slug=deck_slug) if deck_slug else None
    return _render_study(request, _study_context(request, deck, mode, card=request.GET.get("card")))


def _scope(request) -> tuple[Deck | None, str]:
    mode = PRACTICE if request.POST.get("mode") == PRACTICE else FLASHCARD
    return _deck_or_none(request.POST.get("deck")), mode


def _after_write(request, deck, mode, announcement: str, *, card: str | None = None):
    if not request.htmx:
        messages.info(request, announcement)
        return redirect(_study_url(deck, mode, card))
    context = _study_context(request, deck, mode, card=card)
    return _render_study(request, context | {"announcement": announcement})


@login_required
@require_POST
def review(request: HttpRequest) -> HttpResponse:
    """Record the rating of the card shown, then show the next one."""
    deck, mode = _scope(request)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        error = f"That rating could not be recorded ({problems})."
        return _render_study(
            request, _study_context(request, deck, mode) | {"error": error}, status=422
        )
    data = form.cleaned_data
    # A card withheld since it was shown (its quiz started) may still be rated: that shows
    # nothing of its answer, and the next card comes from the queue, which leaves it out.
    question = get_object_or_404(reviewable_questions(user=request.user), pk=data["question"])
    now = timezone.now()
    try:
        result = review_record(
            user=request.user,
            question=question,
            rating=data["rating"],
            reviewed_at=now,
            review_id=data["review_id"],
            duration_ms=form.duration_ms(int(now.timestamp() * 1000)),
            source=data["mode"] or FLASHCARD,
        )
    except ReviewError as error:
        if error.code != "conflict":
            context = _study_context(request, deck, mode)
            return _render_study(request, context | {"error": error.message}, status=422)
        result = None
    if result is None or result.outcome == Outcome.DUPLICATE:
        # The same form sent twice (a double click, a resubmitted page): the first counts.
        announcement = "That card was already rated; your first rating counts."
    else:
        label = Rating(data["rating"]).label
        announcement = f"{label}. Next review in {format_interval(result.card.due - now)}."
    return _after_write(request, deck, mode, announcement)


@login_required
@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    """Undo the learner's last review and show that card again."""
    deck, mode = _scope(request)
    undone = review_undo(user=request.user)
    if undone is None:
        return _after_write(request, deck, mode, "There is no review to undo.")
    studyable = studyable_questions(user=request.user).filter(pk=undone.question_id).exists()
    card = str(undone.question_id) if studyable else None
    announcement = f"Undone: your {Rating(undone.rating).label} rating. The card is back."
    return _after_write(request, deck, mode, announcement, card=card)


VERDICTS = {
    "correct": "Correct",
    "partial": "Partly right",
    "wrong": "Not right",
}


@login_required
@require_POST
def practice_answer(request: HttpRequest) -> HttpResponse:
    """Grade an answer (server-side, with the one grading rule), show why, propose a rating."""
    deck, _ = _scope(request)
    question = get_object_or_404(
        studyable_questions(user=request.user).with_answer_parts(),
        pk=_question_id(request.POST.get("question")),
    )
    now = timezone.now()
    entry = queue_entry_for(user=request.user, question=question, now=now)
    context = {"deck": deck, "mode": PRACTICE, "counts": _counts(request.user, deck, now)}
    context |= _card_context(
        request, entry, mode=PRACTICE, now=now, question=question, previous=request.POST
    )
    key = question.answer_key()
    try:
        answer = answer_from_form(key, request.POST)
        result = grade(key, answer)
    except (MalformedAnswer, InvalidKey) as problem:
        message = (
            str(problem)
            if isinstance(problem, MalformedAnswer)
            else "This question cannot be graded right now; please rate it as a flashcard."
        )
        return _render_study(
            request, context | {"error": message, "announcement": message}, status=422
        )
    proposed = proposed_rating(result)
    verdict = "correct" if result.correct else "partial" if result.score > 0 else "wrong"
    # The grader's feedback says why; a bare "Correct." / "Incorrect." adds nothing to the verdict.
    why = "" if result.feedback in ("Correct.", "Incorrect.") else result.feedback
    return _render_study(
        request,
        context
        | {
            "region": "graded",
            "grade": result,
            "why": why,
            "verdict": verdict,
            "verdict_text": VERDICTS[verdict],
            "your_answer": answer_text(key, answer),
            "proposed": proposed,
            "ratings": _ratings(entry, proposed=proposed),
            "announcement": " ".join(
                filter(None, [f"{VERDICTS[verdict]}.", why, f"Proposed rating: {proposed.label}."])
            ),
        },
    )


# --------------------------------------------------------------------------- progress


@login_required
@require_safe
def progress(request: HttpRequest) -> HttpResponse:
    data = learner_progress(user=request.user)
    return render(
        request,
        "frontend/progress.html",
        {
            "progress": data,
            "heatmap": charts.heatmap(data.reviews_per_day),
            "forecast": charts.forecast_chart(data.forecast),
            "retention": charts.retention_chart(
                data.retention_per_week,
                overall=data.retention,
                reviews=data.retention_reviews,
                target=data.desired_retention,
            ),
            "mastery": charts.mastery_chart(data.decks),
        },
    )


# --------------------------------------------------------------------------- sources


@login_required
@require_safe
def source_list(request: HttpRequest) -> HttpResponse:
    sources = Source.objects.annotate(
        paragraph_count=Count("paragraphs", distinct=True),
        question_count=Count(
            "questions", filter=Q(questions__status=Question.Status.PUBLISHED), distinct=True
        ),
    )
    return render(request, "frontend/source_list.html", {"sources": sources})


@dataclass(frozen=True)
class ParagraphView:
    number: int
    factual: bool
    segments: list[tuple[str, bool]]
    cited: bool
    questions: list[tuple[int, str]]


@login_required
@require_safe
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The article with numbered paragraphs; `?q=<question slug>` highlights what that
    question quotes, and each paragraph lists the published questions citing it."""
    source = get_object_or_404(Source, slug=slug)
    coverage = source_coverage(source=source)
    cited = {question for paragraph in coverage for question in paragraph.question_slugs}
    studyable = studyable_questions(user=request.user)
    prompts = {
        slug: (pk, prompt)
        for slug, pk, prompt in studyable.filter(slug__in=cited).values_list("slug", "pk", "prompt")
    }
    highlighted = request.GET.get("q", "")
    quotes: dict[int, list[str]] = defaultdict(list)
    if highlighted:
        for number, text in Quote.objects.filter(
            question__in=studyable.filter(slug=highlighted),
            paragraph__source=source,
        ).values_list("paragraph__number", "text"):
            quotes[number].append(text)
    paragraphs = [
        ParagraphView(
            number=p.number,
            factual=p.factual,
            segments=mark_quotes(p.text, quotes.get(p.number, [])),
            cited=p.number in quotes,
            questions=[prompts[s] for s in p.question_slugs if s in prompts],
        )
        for p in coverage
    ]
    return render(
        request,
        "frontend/source_detail.html",
        {
            "source": source,
            "paragraphs": paragraphs,
            "highlighted": highlighted if quotes else "",
            "highlighted_prompt": prompts[highlighted][1] if highlighted in prompts else "",
            "first_cited": min(quotes) if quotes else None,
        },
    )


# --------------------------------------------------------------------------- settings


@login_required
@require_http_methods(["GET", "POST"])
def learner_settings(request: HttpRequest) -> HttpResponse:
    settings = learner_settings_get(user=request.user)
    form = LearnerSettingsForm.for_settings(
        settings, request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                learner_settings_update(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your settings are saved.")
                return redirect("learner_settings")
        return _settings_page(request, settings, form=form, status=422)
    return _settings_page(request, settings, form=form)


def _settings_page(request, settings, *, form=None, decks_form=None, status=200) -> HttpResponse:
    overview = learner_presets(user=request.user, settings=settings)
    return render(
        request,
        "frontend/settings.html",
        {
            "form": form or LearnerSettingsForm.for_settings(settings),
            "decks_form": decks_form or DeckPresetsForm.for_learner(overview),
            "settings": settings,
            "presets": overview.presets,
            "min_reviews_for_fitting": MIN_REVIEWS_FOR_FITTING,
            **_workload_context(request.user, settings),
        },
        status=status,
    )


def _workload_context(user, settings) -> dict:
    simulation = WorkloadSimulation.objects.filter(user=user).first()
    status = None if simulation is None else simulation.status
    done = status == WorkloadSimulation.Status.DONE
    return {
        "simulation": simulation,
        "simulation_busy": status in WorkloadSimulation.BUSY,
        "workload": (
            charts.workload_chart(simulation.result, current_retention=settings.desired_retention)
            if done
            else None
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def workload(request: HttpRequest) -> HttpResponse:
    """The workload simulation: POST asks for one (run at once when small, else in the
    background); GET is the section itself, which htmx polls while a simulation runs."""
    if request.method == "POST":
        workload_simulation_request(user=request.user)
    if not request.htmx:
        return redirect(reverse("learner_settings") + "#workload-heading")
    settings = learner_settings_get(user=request.user)
    return render(request, "frontend/_workload.html", _workload_context(request.user, settings))


@login_required
@require_POST
def deck_presets_save(request: HttpRequest) -> HttpResponse:
    """Which preset each deck follows (one choice per deck on the settings page)."""
    overview = learner_presets(user=request.user)
    form = DeckPresetsForm.for_learner(overview, request.POST)
    if not form.is_valid():
        settings = learner_settings_get(user=request.user)
        return _settings_page(request, settings, decks_form=form, status=422)
    presets = {p.pk: p for p in DeckPreset.objects.filter(user=request.user)}
    for deck, current in overview.deck_presets:
        chosen = form.chosen(deck)
        if chosen != current.id:
            deck_preset_assign(
                user=request.user, deck=deck, preset=None if chosen is None else presets[chosen]
            )
    messages.success(request, "Your decks’ presets are saved.")
    return redirect("learner_settings")


@login_required
@require_http_methods(["GET", "POST"])
def deck_preset_edit(request: HttpRequest, preset_id: int | None = None) -> HttpResponse:
    """Create a named preset (no id; it starts from the default's options) or change one of
    the learner's own."""
    preset = None
    if preset_id is not None:
        preset = get_object_or_404(DeckPreset, pk=preset_id, user=request.user)
    data = request.POST if request.method == "POST" else None
    form = DeckPresetForm.for_options(preset or learner_settings_get(user=request.user), data)
    if data is not None and form.is_valid():
        try:
            if preset is None:
                deck_preset_create(user=request.user, **form.cleaned_data)
            else:
                deck_preset_update(user=request.user, preset=preset, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The preset “{form.cleaned_data['name']}” is saved.")
            return redirect("learner_settings")
    return render(
        request,
        "frontend/preset_form.html",
        {"form": form, "preset": preset},
        status=422 if form.is_bound else 200,
    )


@login_required
@require_POST
def deck_preset_remove(request: HttpRequest, preset_id: int) -> HttpResponse:
    preset = get_object_or_404(DeckPreset, pk=preset_id, user=request.user)
    deck_preset_delete(user=request.user, preset=preset)
    messages.success(
        request, f"The preset “{preset.name}” is deleted; its decks follow the default."
    )
    return redirect("learner_settings")
