"""Import and export of questions in the teacher admin (GIFT, CSV, Anki)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import slugify

from quizapp.bank.interchange import InterchangeFormat
from quizapp.bank.interchange.services import (
    export_anki,
    export_csv,
    export_gift,
    import_preview,
    import_questions,
)
from quizapp.bank.models import Deck, Question

MAX_IMPORT_BYTES = 2 * 1024 * 1024
EXPORTS = {
    "gift": ("text/plain; charset=utf-8", "gift.txt"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "anki": ("application/octet-stream", "apkg"),
}


def visible_questions(user):
    """What a teacher may export: their own questions and the shared published bank."""
    if user.is_superuser:
        return Question.objects.all()
    return Question.objects.filter(
        Q(owner=user) | Q(owner__isnull=True, status=Question.Status.PUBLISHED)
    )


def export_response(kind: str, questions, *, name: str, title: str) -> HttpResponse:
    content_type, extension = EXPORTS[kind]
    if kind == "gift":
        body = export_gift(questions)
    elif kind == "csv":
        body = export_csv(questions)
    else:
        body = export_anki(questions, title=title, key=slugify(name))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}.{extension}"'
    return response


def export_actions(questions_of):
    """Admin actions exporting the questions of the selected rows; `questions_of(request,
    queryset)` returns them (already limited to what the user may see)."""

    def make(kind: str, label: str):
        def action(modeladmin, request, queryset):
            rows = list(queryset)
            if not rows:
                modeladmin.message_user(request, "Nothing you may export was selected.")
                return None
            name = "-".join(str(getattr(row, "slug", None) or row.pk) for row in rows[:3])
            title = ", ".join(str(row) for row in rows[:3])
            return export_response(
                kind, questions_of(request, queryset), name=name or "questions", title=title
            )

        action.__name__ = f"export_{kind}"
        return admin.action(description=label)(action)

    return [
        make("gift", "Export to Moodle GIFT"),
        make("csv", "Export to CSV"),
        make("anki", "Export to Anki (.apkg)"),
    ]


class ImportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[(InterchangeFormat.GIFT, "Moodle GIFT"), (InterchangeFormat.CSV, "CSV")],
        help_text="CSV columns are described in content/README.md.",
    )
    file = forms.FileField(required=False, help_text="A .txt/.gift or .csv file (UTF-8).")
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 10}), label="…or paste the text"
    )
    deck = forms.ModelChoiceField(
        queryset=Deck.objects.none(),
        required=False,
        help_text="Put every imported question in this deck.",
    )
    # Set by the preview's import button when it skips the lines with problems.
    only_valid = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        decks = Deck.objects.all() if user.is_superuser else Deck.objects.filter(owner=user)
        self.fields["deck"].queryset = decks

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError("The file is larger than 2 MB; split it.")
            data["text"] = upload.read()
        if not data.get("text"):
            raise forms.ValidationError("Choose a file or paste the questions.")
        return data


def import_view(model_admin, request):
    """Upload or paste → preview with per-line problems → confirm (the text is carried in a
    hidden field, so the preview and the import read exactly the same input)."""
    if not model_admin.has_add_permission(request):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    preview = result = None
    text = ""
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["text"]
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        fmt = form.cleaned_data["format"]
        if "confirm" in request.POST:
            result = import_questions(
                text=raw,
                format=fmt,
                owner=request.user,
                deck=form.cleaned_data["deck"],
                only_valid=form.cleaned_data["only_valid"],
            )
            if result.saved:
                model_admin.message_user(
                    request,
                    f"{len(result.created)} question(s) imported as drafts"
                    + (f"; {len(result.problems)} line(s) skipped." if result.problems else "."),
                    messages.SUCCESS,
                )
            else:
                model_admin.message_user(
                    request,
                    "Nothing was imported: fix the problems listed below.",
                    messages.ERROR,
                )
        else:
            preview = import_preview(text=raw, format=fmt, owner=request.user)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import questions",
        "form": form,
        "preview": preview,
        "result": result,
        "text": text,
    }
    return TemplateResponse(request, "admin/bank/question/import.html", context)
