"""Quiz and class pages of the student web app.

Views stay thin: who may take a quiz, what an attempt may show and every refusal come from
`quizapp.quizzes` and `quizapp.classroom`, the same services the REST API calls. Answers are
saved as they are given: htmx posts a question's form on every change, one request at a time
per form, and the reply replaces only the question's status line ("Saved.", or why not), never
the controls the learner may be using meanwhile. In a quiz that checks each answer at once
(feedback `immediate`) the first answer saved is final, so it is saved only when the learner
says so, and the reply is the whole question with its result. Without JavaScript the Save
button posts and the page comes back at that question.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quizapp.bank import grading
from quizapp.bank.answer_forms import (
    answer_from_form,
    answer_inputs,
    answer_text,
    previous_answer,
)
from quizapp.classroom.models import Assignment
from quizapp.classroom.selectors import assignments_due_for, classes_of, invitations_for
from quizapp.classroom.services import (
    ClassroomError,
    classroom_join,
    classroom_leave,
    invitation_accept,
    invitation_decline,
)
from quizapp.quizzes.models import Attempt, AttemptQuestion, FeedbackMode, Quiz
from quizapp.quizzes.selectors import attempt_view, attempts_of, quizzes_open_to
from quizapp.quizzes.services import (
    QuizError,
    attempt_answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
)


@login_required
@require_safe
def quiz_list(request: HttpRequest) -> HttpResponse:
    quizzes = (
        quizzes_open_to(request.user)
        .annotate(
            used=Count("attempts", filter=Q(attempts__user=request.user)),
            running=Count(
                "attempts",
                filter=Q(attempts__user=request.user, attempts__status=Attempt.Status.IN_PROGRESS),
            ),
        )
        .order_by("closes_at", "title")
    )
    due = {a.quiz_id: a.due_at for a in assignments_due_for(request.user) if a.quiz_id}
    rows = [(quiz, due.get(quiz.pk)) for quiz in quizzes]
    recent = (
        attempts_of(request.user)
        .filter(status=Attempt.Status.SUBMITTED)
        .order_by("-submitted_at")[:10]
    )
    return render(request, "frontend/quiz_list.html", {"rows": rows, "recent": recent})


def _available_quiz(request, quiz_id: int) -> Quiz:
    quiz = quizzes_open_to(request.user).filter(pk=quiz_id).first()
    if quiz is None:
        raise Http404("No such quiz, or it is not open to you.")
    return quiz


@login_required
@require_safe
def quiz_detail(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _available_quiz(request, quiz_id)
    attempts = list(attempts_of(request.user).filter(quiz=quiz).order_by("number"))
    left = None if not quiz.attempts_allowed else max(0, quiz.attempts_allowed - len(attempts))
    return render(
        request,
        "frontend/quiz_detail.html",
        {"quiz": quiz, "attempts": attempts, "attempts_left": left},
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _available_quiz(request, quiz_id)
    try:
        attempt = attempt_start(user=request.user, quiz=quiz)
    except QuizError as refusal:
        messages.error(request, refusal.message)
        return redirect("quiz_detail", quiz_id=quiz.pk)
    return redirect("attempt_detail", attempt_id=attempt.pk)


def _own_attempt(request, attempt_id: int) -> Attempt:
    attempt = attempts_of(request.user).filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404("No such attempt.")
    # An attempt past its deadline is submitted on the next access, whoever notices first.
    return attempt_expire_if_due(attempt=attempt)


def _question_blocks(view, *, errors=None, posted=None) -> list[dict]:
    """Each question with its answer controls, refilled with the stored (or just posted)
    answer, in the attempt's frozen order and numbering. Once the answer can no longer change,
    it is also said in words ("your answer"): it is the learner's own, shown whatever the
    feedback mode holds back."""
    keys = {
        aq.question_id: aq
        for aq in AttemptQuestion.objects.filter(attempt=view.attempt).only(
            "question_id", "answer_key", "display_order"
        )
    }
    blocks = []
    for question in view.questions:
        stored = keys[question.question_id]
        key = grading.AnswerKey.from_json(stored.answer_key)
        order = stored.display_order
        error = (errors or {}).get(question.question_id)
        data = (
            posted
            if error and posted is not None
            else previous_answer(key, question.answer, order=order)
        )
        locked = view.attempt.is_submitted or question.result is not None
        your_answer = None
        if locked:
            your_answer = (
                answer_text(key, question.answer) if question.answered else "(not answered)"
            )
        blocks.append(
            {
                "question": question,
                "inputs": answer_inputs(key, order=order, previous=data),
                "error": error,
                "locked": locked,
                "your_answer": your_answer,
            }
        )
    return blocks


def _attempt_context(request, attempt: Attempt, **extra) -> dict:
    view = attempt_view(attempt=attempt)
    answered = sum(1 for q in view.questions if q.answered)
    return {
        "view": view,
        "attempt": attempt,
        "quiz": attempt.quiz,
        # Saved on every change, unless the first answer saved is final (checked at once).
        "autosave": attempt.quiz.feedback_mode != FeedbackMode.IMMEDIATE,
        "answered": answered,
        "blocks": _question_blocks(
            view, errors=extra.pop("errors", None), posted=extra.pop("posted", None)
        ),
        **extra,
    }


@login_required
@require_safe
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    return render(request, "frontend/attempt.html", _attempt_context(request, attempt))


@login_required
@require_POST
def attempt_answer(request: HttpRequest, attempt_id: int, question_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    stored = AttemptQuestion.objects.filter(attempt=attempt, question_id=question_id).first()
    if stored is None:
        raise Http404("That question is not part of this attempt.")
    key = grading.AnswerKey.from_json(stored.answer_key)
    status, errors, announcement = 200, None, "Answer saved."
    try:
        attempt_answer_save(
            attempt=attempt,
            question_id=question_id,
            answer=answer_from_form(key, request.POST, order=stored.display_order),
        )
    except grading.MalformedAnswer as problem:
        status, errors, announcement = 422, {question_id: str(problem)}, str(problem)
    except QuizError as refusal:
        status, errors, announcement = 409, {question_id: refusal.message}, refusal.message
    attempt.refresh_from_db()
    context = _attempt_context(
        request, attempt, errors=errors, posted=request.POST, announcement=announcement
    )
    if request.htmx:
        block = next(b for b in context["blocks"] if b["question"].question_id == question_id)
        return render(
            request,
            "frontend/attempt.html#htmx-reply",
            {**context, "block": block, "in_reply": True},
            status=status,
        )
    if status != 200:
        return render(request, "frontend/attempt.html", context, status=status)
    return redirect(reverse("attempt_detail", args=[attempt.pk]) + f"#q-{question_id}")


@login_required
@require_http_methods(["GET", "POST"])
def attempt_submit_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """GET asks for confirmation (how many questions are unanswered); POST submits."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_submitted:
        return redirect("attempt_detail", attempt_id=attempt.pk)
    if request.method == "POST":
        attempt_submit(attempt=attempt)
        messages.success(request, "Your quiz was submitted.")
        return redirect("attempt_detail", attempt_id=attempt.pk)
    context = _attempt_context(request, attempt)
    context["unanswered"] = len(context["view"].questions) - context["answered"]
    return render(request, "frontend/attempt_submit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def class_list(request: HttpRequest) -> HttpResponse:
    """The learner's classes and assignments, and the form to join one by code."""
    error, status = None, 200
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            enrolment = classroom_join(user=request.user, code=code)
        except ClassroomError as refusal:
            error, status = refusal.message, 422
        else:
            messages.success(request, f"You joined {enrolment.classroom.name}.")
            return redirect("class_list")
    classes = classes_of(request.user).prefetch_related(
        "teachers",
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("quiz", "deck").order_by("due_at"),
        ),
    )
    return render(
        request,
        "frontend/class_list.html",
        {
            "classes": classes,
            "invitations": invitations_for(request.user),
            "error": error,
            "code": request.POST.get("code", ""),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_leave(request: HttpRequest, class_id: int) -> HttpResponse:
    """GET asks for confirmation (what leaving changes); POST leaves the class."""
    classroom = get_object_or_404(classes_of(request.user), pk=class_id)
    if request.method == "GET":
        return render(request, "frontend/class_leave.html", {"classroom": classroom})
    classroom_leave(user=request.user, classroom=classroom)
    messages.success(request, f"You left {classroom.name}.")
    return redirect("class_list")


@login_required
@require_POST
def class_invitation_answer(request: HttpRequest, invitation_id: int, accept: bool) -> HttpResponse:
    """Accept (join the class) or decline one of the learner's own open invitations."""
    invitation = get_object_or_404(invitations_for(request.user), pk=invitation_id)
    try:
        if accept:
            invitation_accept(invitation=invitation, user=request.user)
        else:
            invitation_decline(invitation=invitation, user=request.user)
    except ClassroomError as refusal:  # answered or withdrawn meanwhile
        raise Http404(refusal.message) from None
    name = invitation.classroom.name
    messages.success(
        request, f"You joined {name}." if accept else f"You declined the invitation to {name}."
    )
    return redirect("class_list")
