"""The teacher-facing admin: a site with a teacher home page, and ownership rules.

Teachers (staff in the Teachers group) see and edit only what they own, and may read and
reuse the shared, seeded bank (rows without an owner); superusers see everything. Every
ModelAdmin of an owned model inherits `OwnedAdmin`, so changelists, change views, custom
views and actions all go through the same `get_queryset` and permission checks.
"""

from functools import partial

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Q
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.utils import pretty_name
from django.http import Http404
from django.urls import reverse
from django.utils.text import capfirst


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results named as their model admin's `autocomplete_label(obj)` says, when
    it has one (a question by its text and type rather than its slug)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {**result, "text": label(obj)} if label else result


class QuizappAdminSite(admin.AdminSite):
    site_header = "quizapp — teacher admin"
    site_title = "quizapp admin"
    index_title = "Teacher home"
    index_template = "admin/quizapp_index.html"

    def index(self, request, extra_context=None):
        from quizapp.classroom.selectors import teacher_dashboard

        extra_context = {**(extra_context or {}), "dashboard": teacher_dashboard(user=request.user)}
        return super().index(request, extra_context)

    def password_change(self, request, extra_context=None):
        """As Django's, with the web's rules: a wrong current password counts towards the
        lock-out, and the new one ends the user's devices and other sessions."""
        # Imported here as Django's own method does: this module holds the admin's AppConfig,
        # which loads before any model.
        from django.contrib.auth.views import PasswordChangeView

        from quizapp.accounts.forms import AdminOwnPasswordChangeForm

        request.current_app = self.name
        return PasswordChangeView.as_view(
            # The form checks the current password through authenticate(request, …).
            form_class=partial(AdminOwnPasswordChangeForm, request=request),
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)


class QuizappAdminConfig(AdminConfig):
    default_site = "quizapp.admin_site.QuizappAdminSite"


class OwnedAdmin(admin.ModelAdmin):
    """Rows a teacher owns are theirs to edit; shared rows (no owner) they may only read.

    `owner_lookup` is the path to the owning user (e.g. "owner" or "teachers");
    `shared_lookup` filters rows everyone may read (None: nothing is shared).
    """

    owner_lookup = "owner"
    shared_lookup: Q | None = None

    class Media:
        css = {"all": ("quizapp_admin/admin.css",)}
        js = ("quizapp_admin/accessible.js",)

    def owned_filter(self, request) -> Q:
        return Q(**{self.owner_lookup: request.user})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = self.owned_filter(request)
        if self.shared_lookup is not None:
            visible |= self.shared_lookup
        return queryset.filter(visible).distinct()

    def _visible_or_404(self, request, object_id) -> None:
        # Django's admin answers a missing object with a redirect; another teacher's object
        # must look exactly like one that does not exist, so answer 404 instead.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def owned_only(self, request, queryset):
        """Narrow a selection (e.g. an action's) to the rows this user may change."""
        if request.user.is_superuser:
            return queryset
        return queryset.filter(self.owned_filter(request))

    def is_owned(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return type(obj)._default_manager.filter(self.owned_filter(request), pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.is_owned(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.is_owned(request, obj)

    def get_owned_object(self, request, object_id):
        """For custom views: the object if this user may change it, else 404."""
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request, obj):
            raise Http404("No such object, or it is not yours.")
        return obj

    def get_viewable_object(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404("No such object.")
        return obj


def _name_controls(form, row: str) -> None:
    for name, field in form.fields.items():
        widget = getattr(field.widget, "widget", field.widget)  # inside the admin's wrapper
        if widget.is_hidden:
            continue
        column = (
            "Delete" if name == DELETION_FIELD_NAME else capfirst(field.label or pretty_name(name))
        )
        widget.attrs["aria-label"] = f"{column}, {row}"


class _RowNamedFormSet:
    """Names each control of a tabular inline by its column and row ("Text, row 2"; "…, new
    row" for rows added on the page): Django names a column only in its header, which leaves
    the controls without a name for screen readers."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        _name_controls(form, f"row {i + 1}")
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        _name_controls(form, "new row")
        return form


class NamedTabularInline(admin.TabularInline):
    """The tabular inline of the teacher admin: every control has an accessible name."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (_RowNamedFormSet, formset), {})
