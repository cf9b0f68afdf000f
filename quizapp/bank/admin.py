"""Question bank in the teacher admin: type-aware editors, provenance, preview, bulk actions."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from quizapp.admin_site import NamedTabularInline, OwnedAdmin
from quizapp.bank import grading
from quizapp.bank.admin_interchange import export_actions, import_view, visible_questions
from quizapp.bank.answer_forms import answer_from_form, answer_inputs
from quizapp.bank.grading import QuestionType
from quizapp.bank.models import (
    AcceptedAnswer,
    Choice,
    Deck,
    DeckQuestion,
    MatchPair,
    OrderItem,
    Paragraph,
    Question,
    Quote,
    Source,
    Tag,
)
from quizapp.bank.selectors import source_coverage
from quizapp.bank.services import question_bump_version_if_changed, question_duplicate
from quizapp.study.models import Review

CHOICE_TYPES = {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}
# Which inline holds the parts of which question type.
PART_OF_TYPE = {
    QuestionType.SINGLE_CHOICE: "choices",
    QuestionType.MULTIPLE_CHOICE: "choices",
    QuestionType.SHORT_TEXT: "accepted",
    QuestionType.ORDERING: "items",
    QuestionType.MATCHING: "pairs",
}


def _key_with_part(question: Question, part: str, rows: list[dict]) -> grading.AnswerKey:
    """The grading key the question will have with these rows as its `part`."""
    parts = {
        "choices": tuple(
            grading.ChoiceKey(i, r["text"], bool(r.get("is_correct"))) for i, r in enumerate(rows)
        )
        if part == "choices"
        else (),
        "accepted": tuple(r["text"] for r in rows) if part == "accepted" else (),
        "items": tuple(grading.ItemKey(i, r["text"]) for i, r in enumerate(rows))
        if part == "items"
        else (),
        "pairs": tuple(grading.PairKey(i, r["left"], r["right"]) for i, r in enumerate(rows))
        if part == "pairs"
        else (),
    }
    return grading.AnswerKey(
        type=question.type,
        answer_bool=question.answer_bool,
        typo_tolerance=question.typo_tolerance,
        value=question.numeric_value,
        tolerance=question.numeric_tolerance,
        unit=question.numeric_unit,
        **parts,
    )


class PartFormSet(BaseInlineFormSet):
    """Validates a question's parts against its type with the grading module's own rules."""

    part = ""

    def clean(self):
        super().clean()
        question = self.instance
        if not question.type or any(form.errors for form in self.forms):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if PART_OF_TYPE.get(QuestionType(question.type)) != self.part:
            return  # the editor shows only the parts of the question's type (get_inlines)
        problems = grading.validate_key(_key_with_part(question, self.part, rows))
        if problems:
            raise forms.ValidationError([p[0].upper() + p[1:] + "." for p in problems])


class ChoiceFormSet(PartFormSet):
    part = "choices"


class AcceptedFormSet(PartFormSet):
    part = "accepted"


class ItemFormSet(PartFormSet):
    part = "items"


class PairFormSet(PartFormSet):
    part = "pairs"


class QuoteFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        source = self.instance.source
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            paragraph = data.get("paragraph")
            if source is None:
                raise forms.ValidationError("Choose the question's source before adding quotes.")
            if paragraph and paragraph.source_id != source.pk:
                form.add_error("paragraph", f"Pick a paragraph of “{source}”.")
            elif paragraph and data.get("text") and data["text"] not in paragraph.text:
                form.add_error(
                    "text",
                    f"Not found verbatim in ¶{paragraph.number}. Copy it exactly, including "
                    "’ “ ” — characters.",
                )


class PartInline(NamedTabularInline):
    extra = 0
    min_num = 0
    ordering = ("position",)
    fields: tuple = ()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._owned(request, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._owned(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._owned(request, obj)

    def _owned(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or obj.owner_id == request.user.pk


class ChoiceInline(PartInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ("position", "text", "is_correct")
    extra = 3


class AcceptedAnswerInline(PartInline):
    model = AcceptedAnswer
    formset = AcceptedFormSet
    fields = ("position", "text")
    extra = 2
    verbose_name = "accepted answer"
    verbose_name_plural = "accepted answers (the first is the canonical one)"


class OrderItemInline(PartInline):
    model = OrderItem
    formset = ItemFormSet
    fields = ("position", "text")
    extra = 3
    verbose_name = "item"
    verbose_name_plural = "items (list them in the correct order)"


class MatchPairInline(PartInline):
    model = MatchPair
    formset = PairFormSet
    fields = ("position", "left", "right")
    extra = 3


class QuoteInline(PartInline):
    model = Quote
    formset = QuoteFormSet
    fields = ("position", "paragraph", "text")
    extra = 1
    verbose_name = "supporting quote"
    verbose_name_plural = "supporting quotes (verbatim from the source)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "paragraph":
            kwargs["queryset"] = Paragraph.objects.select_related("source").order_by(
                "source__title", "number"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# The answer fields of each type (its list of parts, if any, is an inline: INLINES_BY_TYPE).
ANSWER_FIELDS_BY_TYPE = {
    QuestionType.SINGLE_CHOICE: ("shuffle_choices",),
    QuestionType.MULTIPLE_CHOICE: ("shuffle_choices",),
    QuestionType.SHORT_TEXT: ("typo_tolerance",),
    QuestionType.ORDERING: (),
    QuestionType.MATCHING: (),
    QuestionType.TRUE_FALSE: ("answer_bool",),
    QuestionType.NUMERIC: ("numeric_value", "numeric_tolerance", "numeric_unit"),
}

INLINES_BY_TYPE = {
    QuestionType.SINGLE_CHOICE: [ChoiceInline],
    QuestionType.MULTIPLE_CHOICE: [ChoiceInline],
    QuestionType.SHORT_TEXT: [AcceptedAnswerInline],
    QuestionType.ORDERING: [OrderItemInline],
    QuestionType.MATCHING: [MatchPairInline],
    QuestionType.TRUE_FALSE: [],
    QuestionType.NUMERIC: [],
}


class DeckMembershipInline(NamedTabularInline):
    model = DeckQuestion
    extra = 1
    fields = ("deck", "position")
    verbose_name = "deck"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "deck":
            kwargs["queryset"] = decks_usable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def question_label(question: Question) -> str:
    """A question as a teacher recognises it: its text, then its type and slug."""
    prompt = " ".join(question.prompt.split())
    return f"{prompt} ({QuestionType(question.type).label} · {question.slug})"


QUESTION_FIELDS = ("slug", "type", "prompt", "explanation", "difficulty", "tags", "status")
"""What every question has (the answer fields depend on its type)."""


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = (
            *QUESTION_FIELDS,
            *dict.fromkeys(f for fields in ANSWER_FIELDS_BY_TYPE.values() for f in fields),
            "source",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new question started from "Add question" with a source: show that source's
        # paragraphs to quote from before the first save.
        source = str(self.initial.get("source") or "")
        if self.instance.pk is None and self.instance.source_id is None and source.isdigit():
            self.instance.source = Source.objects.filter(pk=source).first()

    def clean(self):
        data = super().clean()
        qtype = data.get("type")
        if not qtype:
            return data
        qtype = QuestionType(qtype)
        if qtype == QuestionType.TRUE_FALSE and data.get("answer_bool") is None:
            self.add_error("answer_bool", "Say whether the statement is true or false.")
        if qtype == QuestionType.NUMERIC and data.get("numeric_value") is None:
            self.add_error("numeric_value", "A numeric question needs its value.")
        return data


@admin.register(Question)
class QuestionAdmin(OwnedAdmin):
    form = QuestionForm
    shared_lookup = Q(owner__isnull=True, status=Question.Status.PUBLISHED)
    list_display = ("slug", "type", "status", "version", "owner", "deck_list", "difficulty")
    list_filter = (
        ("decks", admin.RelatedOnlyFieldListFilter),  # the decks of the questions listed
        "type",
        "tags",
        "status",
        "source",
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("slug", "prompt", "explanation")
    list_select_related = ("owner",)
    list_per_page = 50
    readonly_fields = ("version", "owner", "source_paragraphs", "preview_link")
    filter_horizontal = ("tags",)
    actions = (
        "publish",
        "retire",
        "duplicate",
        "add_to_quiz",
        # A subquery, not `queryset & ...`: the changelist's rows are `distinct()` and Django
        # cannot combine a distinct query with one that is not.
        *export_actions(
            lambda request, queryset: visible_questions(request.user).filter(
                pk__in=queryset.values("pk")
            )
        ),
    )

    def get_fieldsets(self, request, obj=None):
        answer = ANSWER_FIELDS_BY_TYPE.get(_question_type(request, obj), ())
        return (
            (None, {"fields": QUESTION_FIELDS}),
            *((("Answer", {"fields": answer}),) if answer else ()),
            ("Provenance", {"fields": ("source", "source_paragraphs")}),
            ("About", {"fields": ("version", "owner", "preview_link")}),
        )

    def get_readonly_fields(self, request, obj=None):
        # A saved question keeps its type: its answer parts, past attempts and exports fit it.
        return ("type", *self.readonly_fields) if obj is not None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        chosen = _type_in(request.GET) if obj is None else None
        if chosen is not None and "type" in form.base_fields:
            # Chosen before the form: shown, and kept whatever is posted.
            form.base_fields["type"].initial = chosen.value
            form.base_fields["type"].disabled = True
        return form

    def add_view(self, request, form_url="", extra_context=None):
        if _question_type(request, None) is None:
            return self.choose_type_view(request)
        return super().add_view(request, form_url, extra_context)

    def choose_type_view(self, request):
        """First step of "Add question": its type (which decides the form) and, optionally,
        the source it quotes (whose paragraphs the form then shows)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add question: choose its type",
            "types": list(QuestionType),
            "sources": Source.objects.order_by("title", "pk"),
            "kept": [
                (name, value)
                for name, value in request.GET.items()
                if name not in ("type", "source")
            ],
            "is_popup": "_popup" in request.GET,
        }
        return TemplateResponse(request, "admin/bank/question/choose_type.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("decks")

    def autocomplete_label(self, obj) -> str:
        return question_label(obj)

    @admin.display(description="decks")
    def deck_list(self, obj):
        return ", ".join(deck.slug for deck in obj.decks.all())

    def get_inlines(self, request, obj):
        parts = INLINES_BY_TYPE.get(_question_type(request, obj), [])
        return [*parts, QuoteInline, DeckMembershipInline]

    @admin.display(description="Source paragraphs (copy a quote from here)")
    def source_paragraphs(self, obj):
        if obj is None or obj.source_id is None:
            return "Choose a source and save to see its numbered paragraphs."
        paragraphs = obj.source.paragraphs.all()
        # Focusable, so the keyboard can scroll the list.
        return format_html(
            '<div class="quizapp-paragraphs" tabindex="0" role="region" aria-label="{}">'
            "<ol>{}</ol></div>",
            f"Paragraphs of {obj.source.title}",
            format_html_join(
                "",
                '<li value="{}"><small>¶{}</small> {}</li>',
                ((p.number, p.number, p.text) for p in paragraphs),
            ),
        )

    @admin.display(description="Preview and regrade")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "Save to preview."
        return format_html(
            '<a href="{}">Preview as a student and grade a sample answer</a> · '
            '<a href="{}">Regrade quiz answers with the current key</a>',
            reverse("admin:bank_question_preview", args=[obj.pk]),
            reverse("admin:bank_question_regrade", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question_bump_version_if_changed(question=form.instance)

    def get_deleted_objects(self, objs, request):
        """A studied question is protected by its reviews (see `Review.question`): say so once
        per question, with how many learners studied it, without loading its reviews (Django's
        collector would fetch every one of them to list it)."""
        studied = list(
            Review.objects.filter(question__in=objs)
            .values("question_id", "question__slug")
            .annotate(reviews=Count("pk"), learners=Count("user", distinct=True))
            .order_by("question__slug")
        )
        studied_ids = {row["question_id"] for row in studied}
        others = [obj for obj in objs if obj.pk not in studied_ids]
        deleted, counts, perms_needed, protected = super().get_deleted_objects(others, request)
        summaries = [
            f"{row['question__slug']}: studied by {row['learners']} learner(s) in "
            f"{row['reviews']} review(s); retire it instead, which keeps their history."
            for row in studied
        ]
        return deleted, counts, perms_needed, [*summaries, *protected]

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(lambda request: import_view(self, request)),
                name="bank_question_import",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="bank_question_preview",
            ),
            path(
                "<path:object_id>/regrade/",
                self.admin_site.admin_view(self.regrade_view),
                name="bank_question_regrade",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        question = self.get_viewable_object(request, object_id)
        question = Question.objects.with_answer_parts().get(pk=question.pk)
        key = question.answer_key()
        posted = request.POST if request.method == "POST" else None
        result = error = None
        if posted is not None:
            try:
                result = grading.grade(key, answer_from_form(key, posted))
            except (grading.MalformedAnswer, grading.InvalidKey) as problem:
                error = str(problem)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Preview: {question.slug}",
            "question": question,
            "card": question.flashcard(),
            "inputs": answer_inputs(
                key, shuffle=question.shuffle_choices, seed=str(question.pk), previous=posted
            ),
            "result": result,
            "error": error,
            "correct_answer": grading.correct_answer_text(key),
        }
        return TemplateResponse(request, "admin/bank/question/preview.html", context)

    def regrade_view(self, request, object_id):
        """After accepting a new answer variant: regrade past quiz answers on purpose."""
        from quizapp.quizzes.models import Response
        from quizapp.quizzes.services import question_regrade

        question = self.get_owned_object(request, object_id)
        regrade = None
        if request.method == "POST":
            regrade = question_regrade(question=question, by=request.user)
            self.message_user(
                request,
                f"{regrade.responses_checked} answer(s) regraded; "
                f"{len(regrade.changes)} score(s) changed.",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Regrade answers to {question.slug}",
            "question": question,
            "answers": Response.objects.filter(attempt_question__question=question).count(),
            "regrade": regrade,
        }
        return TemplateResponse(request, "admin/bank/question/regrade.html", context)

    @admin.action(description="Publish the selected questions (yours)")
    def publish(self, request, queryset):
        self._set_status(request, queryset, Question.Status.PUBLISHED)

    @admin.action(description="Retire the selected questions (yours)")
    def retire(self, request, queryset):
        self._set_status(request, queryset, Question.Status.RETIRED)

    def _set_status(self, request, queryset, status):
        owned = self.owned_only(request, queryset)
        with transaction.atomic():
            changed = 0
            for question in owned.exclude(status=status):
                question.status = status
                question.save(update_fields=["status", "updated_at"])
                question_bump_version_if_changed(question=question)
                changed += 1
        skipped = queryset.count() - owned.count()
        self.message_user(request, f"{changed} question(s) now {status}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} shared question(s) skipped: duplicate them to edit.",
                messages.WARNING,
            )

    @admin.action(description="Duplicate the selected questions as your drafts")
    def duplicate(self, request, queryset):
        copies = [question_duplicate(question=q, owner=request.user) for q in queryset]
        self.message_user(
            request, f"{len(copies)} draft copy(ies) made: {', '.join(c.slug for c in copies)}."
        )

    @admin.action(description="Add the selected questions to one of your quizzes")
    def add_to_quiz(self, request, queryset):
        from quizapp.quizzes.models import Quiz
        from quizapp.quizzes.services import quiz_items_add

        quizzes = (
            Quiz.objects.all()
            if request.user.is_superuser
            else Quiz.objects.filter(owner=request.user)
        )
        if "quiz" in request.POST:
            quiz = quizzes.filter(pk=request.POST["quiz"]).first()
            if quiz is None:
                self.message_user(request, "Choose one of your quizzes.", messages.ERROR)
                return None
            added = quiz_items_add(quiz=quiz, questions=list(queryset), by=request.user)
            self.message_user(request, f"{added} question(s) added to “{quiz}”.")
            return redirect(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add questions to a quiz",
            "questions": queryset,
            "quizzes": quizzes,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/bank/question/add_to_quiz.html", context)


def decks_usable_by(user):
    """The decks a teacher may put questions in, draw from or assign: theirs and the shared."""
    if user.is_superuser:
        return Deck.objects.all()
    return Deck.objects.filter(Q(owner=user) | Q(owner__isnull=True))


def _type_in(data) -> QuestionType | None:
    try:
        return QuestionType(data.get("type", ""))
    except ValueError:
        return None


def _question_type(request, obj) -> QuestionType | None:
    """The type the editor is for: the question's own, else the one chosen in "Add question"
    (or posted by a form that was not started there)."""
    if obj is not None:
        return QuestionType(obj.type)
    return _type_in(request.GET) or _type_in(request.POST)


def _deck_questions(request, decks):
    """The selected decks' questions in study order, limited to what the user may see."""
    visible = set(visible_questions(request.user).values_list("pk", flat=True))
    memberships = DeckQuestion.objects.filter(deck__in=decks).order_by(
        "deck__position", "position", "question_id"
    )
    ids = list(dict.fromkeys(m.question_id for m in memberships if m.question_id in visible))
    loaded = Question.objects.in_bulk(ids)
    return [loaded[pk] for pk in ids]


@admin.register(Deck)
class DeckAdmin(OwnedAdmin):
    shared_lookup = Q(owner__isnull=True)
    actions = export_actions(_deck_questions)
    list_display = ("title", "slug", "question_count", "owner", "position")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("owner",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("memberships"))

    @admin.display(description="questions", ordering="n")
    def question_count(self, obj):
        return obj.n

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.owner = request.user
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("slug",)


class ParagraphInline(NamedTabularInline):
    model = Paragraph
    fields = ("number", "text", "factual")
    readonly_fields = ("number", "text")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("title", "publisher", "slug", "coverage_link")
    inlines = (ParagraphInline,)
    readonly_fields = ("coverage_link",)

    def get_readonly_fields(self, request, obj=None):
        # A saved source's slug is its identity: content files, URLs and the question data
        # devices and the study queue keep (which a source edit does not re-stamp) use it.
        return ("slug", *self.readonly_fields) if obj else self.readonly_fields

    @admin.display(description="Coverage")
    def coverage_link(self, obj):
        url = reverse("admin:bank_source_coverage", args=[obj.pk])
        return format_html('<a href="{}">Which paragraphs are cited</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/coverage/",
                self.admin_site.admin_view(self.coverage_view),
                name="bank_source_coverage",
            ),
            *super().get_urls(),
        ]

    def coverage_view(self, request, object_id):
        source = self.get_object(request, object_id)
        if source is None or not self.has_view_or_change_permission(request, source):
            from django.http import Http404

            raise Http404
        coverage = source_coverage(source=source)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Coverage of “{source}”",
            "source": source,
            "coverage": coverage,
            "uncovered": [p for p in coverage if p.uncovered],
        }
        return TemplateResponse(request, "admin/bank/source/coverage.html", context)
