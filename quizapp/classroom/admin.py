"""Classes in the teacher admin: roster, join code, assignments and the class reports."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from quizapp.admin_reports import ReportLink, ReportTable, report_page, report_response
from quizapp.admin_site import NamedTabularInline, OwnedAdmin
from quizapp.bank.admin import decks_usable_by
from quizapp.classroom.models import Assignment, Classroom, Enrolment, Invitation
from quizapp.classroom.selectors import class_attempt, class_deck_memory, class_results
from quizapp.classroom.services import (
    ClassroomError,
    invitation_create,
    invitation_withdraw,
    join_code_regenerate,
)
from quizapp.quizzes.models import Attempt, Quiz
from quizapp.quizzes.selectors import attempt_review

RESULTS_PER_PAGE = 100
"""Students per page of the class results (as the admin's lists); the CSV has every one."""


class EnrolmentInline(NamedTabularInline):
    """The class's students, to read or remove. Nobody is added here: a student joins with the
    join code or by accepting an invitation, so no teacher can put an account in a class (and
    read its results) without its owner's consent, and no list of accounts is ever shown."""

    model = Enrolment
    fields = ("student_name", "joined_at")
    readonly_fields = ("student_name", "joined_at")
    extra = 0
    classes = ("quizapp-no-row-label",)
    verbose_name = "student"
    verbose_name_plural = "roster"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="student")
    def student_name(self, obj):
        return _student_name(obj.student)


class AssignmentInline(NamedTabularInline):
    model = Assignment
    fields = ("quiz", "deck", "due_at", "exam_date")
    extra = 1
    classes = ("quizapp-no-row-label",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "quiz" and not request.user.is_superuser:
            kwargs["queryset"] = Quiz.objects.filter(owner=request.user, published=True)
        if db_field.name == "deck":
            kwargs["queryset"] = decks_usable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Classroom)
class ClassroomAdmin(OwnedAdmin):
    owner_lookup = "teachers"
    list_display = ("name", "student_count", "join_code", "report_links")
    search_fields = ("name",)
    filter_horizontal = ("teachers",)
    readonly_fields = ("teacher_names", "join_code_display", "invitations", "report_links")
    inlines = (EnrolmentInline, AssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_students=Count("enrolments", distinct=True))

    def get_fields(self, request, obj=None):
        # A teacher teaches the classes they create; only an administrator picks teachers, so
        # no teacher is shown a list of the staff.
        teachers = "teachers" if request.user.is_superuser else "teacher_names"
        return ("name", teachers, "join_code_display", "invitations", "report_links")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "teachers":
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
            kwargs["required"] = False
            kwargs["help_text"] = "Empty: you teach it."
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Teachers")
    def teacher_names(self, obj):
        if obj is None or obj.pk is None:
            return "You, once the class is saved."
        return ", ".join(_display_name(t) for t in obj.teachers.all())

    @admin.display(description="students", ordering="n_students")
    def student_count(self, obj):
        return obj.n_students

    @admin.display(description="Join code")
    def join_code_display(self, obj):
        if obj is None or obj.pk is None:
            return "Made when the class is saved."
        return format_html(
            '<code class="quizapp-join-code">{}</code> <a href="{}">Regenerate…</a>',
            obj.join_code,
            reverse("admin:classroom_classroom_regenerate_code", args=[obj.pk]),
        )

    @admin.display(description="Invitations")
    def invitations(self, obj):
        if obj is None or obj.pk is None:
            return "Save the class, then invite students by username."
        waiting = obj.invitations.count()
        return format_html(
            '<a href="{}">Invite a student by username…</a> ({} waiting for an answer)',
            reverse("admin:classroom_classroom_invite", args=[obj.pk]),
            waiting,
        )

    @admin.display(description="Reports")
    def report_links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">results</a> · <a href="{}">memory per deck</a>',
            reverse("admin:classroom_classroom_results", args=[obj.pk]),
            reverse("admin:classroom_classroom_memory", args=[obj.pk]),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Whoever creates a class teaches it (an administrator too, unless they named its
        # teachers).
        classroom = form.instance
        if not request.user.is_superuser or not classroom.teachers.exists():
            classroom.teachers.add(request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Enrolment) and instance.joined_at is None:
                instance.joined_at = timezone.now()
            if isinstance(instance, Assignment) and instance.created_by_id is None:
                instance.created_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/results/",
                view(self.results_view),
                name="classroom_classroom_results",
            ),
            path(
                "<path:object_id>/memory/",
                view(self.memory_view),
                name="classroom_classroom_memory",
            ),
            path(
                "<path:object_id>/attempts/<int:attempt_id>/",
                view(self.attempt_review_view),
                name="classroom_classroom_attempt",
            ),
            path(
                "<path:object_id>/invite/",
                view(self.invite_view),
                name="classroom_classroom_invite",
            ),
            path(
                "<path:object_id>/regenerate-code/",
                view(self.regenerate_code_view),
                name="classroom_classroom_regenerate_code",
            ),
            *super().get_urls(),
        ]

    def regenerate_code_view(self, request, object_id):
        classroom = self.get_owned_object(request, object_id)
        if request.method == "POST":
            try:
                code = join_code_regenerate(classroom=classroom, by=request.user)
                self.message_user(request, f"New join code: {code}. The old one no longer works.")
            except ClassroomError as error:
                self.message_user(request, error.message, messages.ERROR)
            return redirect(reverse("admin:classroom_classroom_change", args=[classroom.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Regenerate the join code of {classroom}",
            "classroom": classroom,
        }
        return TemplateResponse(request, "admin/classroom/classroom/regenerate.html", context)

    def invite_view(self, request, object_id):
        """Invite a student by username, or withdraw an open invitation."""
        classroom = self.get_owned_object(request, object_id)
        here = reverse("admin:classroom_classroom_invite", args=[classroom.pk])
        form, status = InviteForm(), 200
        if request.method == "POST" and "withdraw" in request.POST:
            invitation = _invitation_or_404(classroom, request.POST["withdraw"])
            invitation_withdraw(invitation=invitation, by=request.user)
            self.message_user(
                request, f"Invitation to {invitation.student.get_username()} withdrawn."
            )
            return redirect(here)
        if request.method == "POST":
            form = InviteForm(request.POST)
            if form.is_valid():
                try:
                    invitation = invitation_create(
                        classroom=classroom, username=form.cleaned_data["username"], by=request.user
                    )
                except ClassroomError as error:
                    form.add_error("username", error.message)
                else:
                    self.message_user(
                        request,
                        f"Invitation sent to {invitation.student.get_username()}: they join "
                        f"{classroom} when they accept it.",
                    )
                    return redirect(here)
            status = 422
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Invite students to {classroom}",
            "classroom": classroom,
            "form": form,
            "invitations": [
                (invitation, _student_name(invitation.student))
                for invitation in classroom.invitations.select_related("student", "invited_by")
            ],
        }
        return TemplateResponse(
            request, "admin/classroom/classroom/invite.html", context, status=status
        )

    def results_view(self, request, object_id):
        classroom = self.get_owned_object(request, object_id)
        page = report_page(
            request, classroom.students.order_by("username", "pk"), per_page=RESULTS_PER_PAGE
        )
        results = class_results(
            classroom=classroom, students=None if page is None else list(page.object_list)
        )
        headers = ["Student"]
        for assignment in results.assignments:
            headers += [
                f"{assignment.quiz} (due {assignment.due_at:%Y-%m-%d})",
                "attempts",
                "on time",
                "latest attempt",
            ]
        rows = []
        for student in results.students:
            row = [student.get_username()]
            for assignment in results.assignments:
                cell = results.cell(student, assignment)
                best = f"{cell.best_percentage:.1f}%" if cell.best_percentage is not None else None
                on_time = {True: "on time", False: "late", None: "not submitted"}[cell.on_time]
                row += [best, cell.attempts, on_time, _latest_link(classroom, cell.latest)]
            rows.append(row)
        table = ReportTable(
            title=f"Results: {classroom}",
            headers=headers,
            rows=rows,
            notes="Best submitted score per assigned quiz; on time compares the first "
            "submission with the due date. The latest attempt links to its review, question "
            "by question; an attempt whose time ran out is submitted automatically the next "
            "time it is opened, and one with no activity for a day counts as abandoned.",
            page=page,
        )
        return report_response(
            request,
            self.admin_site,
            opts=self.model._meta,
            table=table,
            back_url=reverse("admin:classroom_classroom_change", args=[classroom.pk]),
        )

    def attempt_review_view(self, request, object_id, attempt_id):
        """One student's attempt, question by question: their answer, the correct one, the
        points, feedback and time. Only an attempt of a student in this class, at a quiz
        assigned to it or of the teacher's own (else 404, as for anything not theirs)."""
        classroom = self.get_owned_object(request, object_id)
        attempt = class_attempt(classroom=classroom, attempt_id=attempt_id, teacher=request.user)
        if attempt is None:
            raise Http404("No such attempt in this class.")
        questions = attempt_review(attempt=attempt)
        answered = [q.answered_at for q in questions if q.answered_at]
        last_activity = max(answered, default=None)
        siblings = Attempt.objects.filter(quiz=attempt.quiz, user=attempt.user).order_by("number")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{_student_name(attempt.user)}: {attempt.quiz}, attempt {attempt.number}",
            "classroom": classroom,
            "attempt": attempt,
            "progress": attempt.progress(now=timezone.now(), last_activity=last_activity),
            "last_activity": last_activity or attempt.started_at,
            "questions": questions,
            "attempts": [
                (number, reverse("admin:classroom_classroom_attempt", args=[classroom.pk, pk]))
                for pk, number in siblings.values_list("pk", "number")
            ],
            "results_url": reverse("admin:classroom_classroom_results", args=[classroom.pk]),
        }
        return TemplateResponse(request, "admin/classroom/classroom/attempt_review.html", context)

    def memory_view(self, request, object_id):
        classroom = self.get_owned_object(request, object_id)
        rows = []
        for memory in class_deck_memory(classroom=classroom):
            at_risk = ", ".join(s.username for s in memory.at_risk)
            rows.append(
                [
                    memory.deck.title,
                    memory.students_studying,
                    _percent(memory.average_recall),
                    _percent(memory.mastered_share),
                    round(memory.overdue_per_student, 1),
                    at_risk or "none",
                ]
            )
        table = ReportTable(
            title=f"Memory per deck: {classroom}",
            headers=[
                "Deck",
                "Students studying",
                "Average predicted recall",
                "Cards mastered",
                "Overdue cards per student",
                "Students at risk",
            ],
            rows=rows,
            notes="Mastered: stability of 21 days or more. At risk: average predicted recall "
            "below 70% or a fifth of their cards overdue.",
        )
        return report_response(
            request,
            self.admin_site,
            opts=self.model._meta,
            table=table,
            back_url=reverse("admin:classroom_classroom_change", args=[classroom.pk]),
        )


def _latest_link(classroom, latest) -> ReportLink | None:
    """Where a student's latest attempt at a quiz stands, linked to its review."""
    if latest is None:
        return None
    text = latest.progress.label
    if latest.progress == Attempt.Progress.ABANDONED:
        since = date_format(timezone.localtime(latest.last_activity), "j M Y")
        text += f": no activity since {since}"
    if latest.number > 1:
        text += f" (attempt {latest.number})"
    url = reverse("admin:classroom_classroom_attempt", args=[classroom.pk, latest.id])
    return ReportLink(text, url)


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _student_name(user) -> str:
    """A student as a teacher knows them: their name, and the username they sign in with."""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def _invitation_or_404(classroom, raw_id) -> Invitation:
    invitation = (
        classroom.invitations.select_related("classroom", "student")
        .filter(pk=int(raw_id) if str(raw_id).isdigit() else None)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation in this class.")
    return invitation


class InviteForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Student's username",
        help_text="The name the student signs in with. They see the invitation on their "
        "Classes page and join when they accept it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _percent(value):
    return None if value is None else f"{value:.0%}"


@admin.register(Assignment)
class AssignmentAdmin(OwnedAdmin):
    owner_lookup = "classroom__teachers"
    list_display = ("__str__", "classroom", "due_at")
    list_select_related = ("classroom", "quiz", "deck")
