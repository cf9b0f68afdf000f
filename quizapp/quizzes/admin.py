"""The quiz builder and quiz reports in the teacher admin."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from quizapp.admin_reports import ReportLink, ReportTable, report_response
from quizapp.admin_site import NamedTabularInline, OwnedAdmin
from quizapp.bank.admin import decks_usable_by, question_label
from quizapp.bank.admin_interchange import export_actions
from quizapp.bank.answer_forms import answer_inputs
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import Question
from quizapp.quizzes.models import Attempt, Quiz, QuizItem
from quizapp.quizzes.selectors import quiz_deck_overlap, quiz_item_analysis


class QuizItemInline(NamedTabularInline):
    model = QuizItem
    fields = ("position", "question", "points")
    autocomplete_fields = ("question",)
    extra = 1
    classes = ("quizapp-sortable", "quizapp-no-row-label")
    verbose_name = "question"
    verbose_name_plural = "questions (drag to reorder, or use the arrows)"

    class Media:
        js = ("quizapp_admin/sortable-inline.js",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "question" and not request.user.is_superuser:
            kwargs["queryset"] = Question.objects.filter(
                Q(owner=request.user) | Q(owner__isnull=True, status=Question.Status.PUBLISHED)
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "question":
            field.label_from_instance = question_label  # as the picker's search results
        return field


class AssignForm(forms.Form):
    classroom = forms.ModelChoiceField(queryset=None, label="Class")
    due_at = forms.DateTimeField(
        label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from quizapp.classroom.selectors import classes_taught_by

        self.fields["classroom"].queryset = classes_taught_by(user)


class MinutesField(forms.DurationField):
    """A time limit typed in whole minutes ("15"), not as a duration ("0:15:00")."""

    widget = forms.NumberInput(attrs={"min": 1, "max": 24 * 60, "step": 1})
    default_error_messages = {"invalid": "Enter the time limit in whole minutes, e.g. 15."}

    def prepare_value(self, value):
        if isinstance(value, timedelta):
            return round(value.total_seconds() / 60)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 24 * 60:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return timedelta(minutes=int(text))


@admin.register(Quiz)
class QuizAdmin(OwnedAdmin):
    list_display = ("title", "published", "question_count", "feedback_mode", "closes_at", "reports")
    list_filter = ("published", "feedback_mode")
    search_fields = ("title", "description")
    inlines = (QuizItemInline,)
    readonly_fields = ("owner", "reports")
    actions = (
        "publish",
        "unpublish",
        "assign_to_class",
        *export_actions(lambda request, quizzes: _quiz_questions(quizzes)),
    )
    fieldsets = (
        (None, {"fields": ("title", "description", "visibility", "published", "owner", "reports")}),
        (
            "Random draw (instead of the listed questions)",
            {
                "fields": ("draw_count", "draw_deck", "draw_tag"),
                "description": "Draw this many random published questions from a deck and/or "
                "tag at each attempt. Leave at 0 to use the questions listed below.",
            },
        ),
        (
            "Timing",
            {
                "fields": ("opens_at", "closes_at", "time_limit"),
                "description": "The time limit is enforced on the server; an attempt past its "
                "deadline is submitted automatically.",
            },
        ),
        (
            "Attempts and feedback",
            {
                "fields": (
                    "attempts_allowed",
                    "shuffle_questions",
                    "shuffle_choices",
                    "feedback_mode",
                    "pass_mark",
                ),
                "description": "Feedback “after the quiz closes” needs a closing time. Nothing "
                "graded (scores, correct answers, explanations) is shown before the feedback "
                "mode allows it.",
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_items=Count("items"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_limit":
            return MinutesField(
                required=False,
                label="Time limit (minutes)",
                help_text="Empty for no limit; at most 1440 (a day).",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "draw_deck":
            kwargs["queryset"] = decks_usable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="questions", ordering="n_items")
    def question_count(self, obj):
        return f"{obj.draw_count} drawn" if obj.uses_draw else obj.n_items

    @admin.display(description="reports")
    def reports(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">item analysis</a> · <a href="{}">preview</a>',
            reverse("admin:quizzes_quiz_item_analysis", args=[obj.pk]),
            reverse("admin:quizzes_quiz_preview", args=[obj.pk]),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quiz = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if quiz is not None:
            self._warn_about_flashcards(request, quiz)
        return super().change_view(request, object_id, form_url, extra_context)

    def _warn_about_flashcards(self, request, quiz: Quiz) -> None:
        overlap = quiz_deck_overlap(quiz=quiz)
        if not overlap.in_decks:
            return
        which = (
            f"the {overlap.questions} questions this quiz draws from"
            if quiz.uses_draw
            else f"this quiz's {overlap.questions} questions"
        )
        where = ", ".join(f"{title}: {n}" for title, n in overlap.decks)
        messages.warning(
            request,
            f"{overlap.in_decks} of {which} are also flashcards in decks ({where}), which "
            "show their answers: learners who studied them may know the answers. While a "
            "learner's attempt is open (and, with feedback after the quiz closes, until it "
            "closes) those cards are withheld from that learner's study.",
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # Positions follow the order on screen; renumber densely so they stay readable.
        for position, item in enumerate(form.instance.items.order_by("position", "pk")):
            if item.position != position:
                QuizItem.objects.filter(pk=item.pk).update(position=position)

    @admin.action(description="Publish the selected quizzes")
    def publish(self, request, queryset):
        count = self.owned_only(request, queryset).update(published=True)
        self.message_user(request, f"{count} quiz(zes) published.")

    @admin.action(description="Unpublish the selected quizzes")
    def unpublish(self, request, queryset):
        count = self.owned_only(request, queryset).update(published=False)
        self.message_user(request, f"{count} quiz(zes) unpublished.")

    @admin.action(description="Assign the selected quizzes to a class")
    def assign_to_class(self, request, queryset):
        from quizapp.classroom.services import ClassroomError, assignment_create

        form = AssignForm(request.POST if "due_at" in request.POST else None, user=request.user)
        if form.is_bound and form.is_valid():
            done = 0
            for quiz in self.owned_only(request, queryset):
                try:
                    assignment_create(
                        classroom=form.cleaned_data["classroom"],
                        quiz=quiz,
                        due_at=form.cleaned_data["due_at"],
                        by=request.user,
                    )
                    done += 1
                except ClassroomError as error:
                    self.message_user(request, f"{quiz}: {error.message}", messages.ERROR)
            if done:
                self.message_user(request, f"{done} quiz(zes) assigned.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Assign to a class",
            "quizzes": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/quizzes/quiz/assign.html", context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/item-analysis/",
                view(self.item_analysis_view),
                name="quizzes_quiz_item_analysis",
            ),
            path("<path:object_id>/preview/", view(self.preview_view), name="quizzes_quiz_preview"),
            *super().get_urls(),
        ]

    def item_analysis_view(self, request, object_id):
        quiz = self.get_owned_object(request, object_id)
        analysis = quiz_item_analysis(quiz=quiz)
        table = ReportTable(
            title=f"Item analysis: {quiz}",
            headers=[
                "Question",
                "Type",
                "Responses",
                "Facility",
                "Discrimination",
                "Average time (s)",
                "Wrong choices picked",
                "Flags",
            ],
            rows=[
                [
                    ReportLink(
                        item.prompt, reverse("admin:bank_question_change", args=[item.question_id])
                    ),
                    QuestionType(item.question_type).label,
                    item.responses,
                    _round(item.facility),
                    _round(item.discrimination),
                    round(item.average_time.total_seconds()) if item.average_time else None,
                    "; ".join(f"{text}: {n}" for text, n in item.wrong_choice_picks.items()),
                    ", ".join(item.flags),
                ]
                for item in analysis.items
            ],
            notes=(
                f"From the first submitted attempt of each of {analysis.attempts} learner(s). "
                "Facility: mean score (1 = everyone right). Discrimination: top 27% minus "
                "bottom 27% by total score. With 10 or more responses, items with "
                "discrimination below 0.2 or facility outside 0.2–0.9 are flagged."
            ),
        )
        return report_response(
            request,
            self.admin_site,
            opts=self.model._meta,
            table=table,
            back_url=reverse("admin:quizzes_quiz_change", args=[quiz.pk]),
        )

    def preview_view(self, request, object_id):
        quiz = self.get_owned_object(request, object_id)
        items = quiz.items.select_related("question").prefetch_related(
            "question__choices",
            "question__accepted_answers",
            "question__order_items",
            "question__match_pairs",
        )
        questions = [
            (item, answer_inputs(item.question.answer_key(), seed=str(item.pk))) for item in items
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Preview: {quiz}",
            "quiz": quiz,
            "questions": questions,
        }
        return TemplateResponse(request, "admin/quizzes/quiz/preview.html", context)


def _quiz_questions(quizzes) -> list[Question]:
    items = QuizItem.objects.filter(quiz__in=quizzes).select_related("question")
    ordered = items.order_by("quiz_id", "position", "pk")
    return list({item.question_id: item.question for item in ordered}.values())


def _round(value):
    return None if value is None else round(value, 2)


@admin.register(Attempt)
class AttemptAdmin(OwnedAdmin):
    """Submissions to a teacher's own quizzes, read-only."""

    owner_lookup = "quiz__owner"
    list_display = ("user", "quiz", "number", "status", "percentage", "passed", "submitted_at")
    list_filter = ("status", "passed", ("quiz", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "quiz__title")
    list_select_related = ("user", "quiz")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
