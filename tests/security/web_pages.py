"""Every URL pattern of the student web app (frontend/urls.py), classified, with a way to
build each one for a `World`. A test fails when a pattern is missing here, so a new page
cannot be forgotten by the authorization and header tests."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = "public"  # anyone
OWN = "own"  # signed in; only the learner's own data, no object named in the URL
SHARED = "shared"  # signed in; names content every learner may see (decks, sources)
OBJECT = "object"  # signed in; names an object only some learners may see: 404 for others


@dataclass(frozen=True)
class Page:
    kind: str
    methods: tuple[str, ...]  # what the view answers; the first is how to reach it
    html: bool = True  # a GET answers an HTML page


PAGES: dict[str, Page] = {
    "home": Page(PUBLIC, ("GET",)),
    # Django's form views take PUT as they take POST (same form, same CSRF check).
    "login": Page(PUBLIC, ("GET", "POST", "PUT")),
    "logout": Page(PUBLIC, ("POST",), html=False),
    "signup": Page(PUBLIC, ("GET", "POST")),
    "password_change": Page(OWN, ("GET", "POST", "PUT")),
    "password_change_done": Page(OWN, ("GET",)),
    "study": Page(OWN, ("GET",)),
    "study_deck": Page(SHARED, ("GET",)),
    "practice": Page(OWN, ("GET",)),
    "practice_deck": Page(SHARED, ("GET",)),
    "study_review": Page(OWN, ("POST",), html=False),
    "study_undo": Page(OWN, ("POST",), html=False),
    "practice_answer": Page(OWN, ("POST",), html=False),
    "progress": Page(OWN, ("GET",)),
    "source_list": Page(OWN, ("GET",)),
    "source_detail": Page(SHARED, ("GET",)),
    "learner_settings": Page(OWN, ("GET", "POST")),
    "deck_presets_save": Page(OWN, ("POST",)),
    "workload": Page(OWN, ("GET", "POST"), html=False),  # a section for htmx; else a redirect
    "deck_preset_new": Page(OWN, ("GET", "POST")),
    "deck_preset_edit": Page(OBJECT, ("GET", "POST")),
    "deck_preset_delete": Page(OBJECT, ("POST",), html=False),
    "account_export": Page(OWN, ("GET",), html=False),
    "account_delete": Page(OWN, ("GET", "POST")),
    "quiz_list": Page(OWN, ("GET",)),
    "quiz_detail": Page(OBJECT, ("GET",)),
    "quiz_start": Page(OBJECT, ("POST",), html=False),
    "attempt_detail": Page(OBJECT, ("GET",)),
    "attempt_answer": Page(OBJECT, ("POST",), html=False),
    "attempt_submit": Page(OBJECT, ("GET", "POST")),
    "class_list": Page(OWN, ("GET", "POST")),
    "class_leave": Page(OBJECT, ("GET", "POST")),
    "class_invitation_accept": Page(OBJECT, ("POST",), html=False),
    "class_invitation_decline": Page(OBJECT, ("POST",), html=False),
}


def frontend_pattern_names() -> list[str]:
    """The names of the URL patterns the project routes to `frontend.urls`."""
    for entry in get_resolver().url_patterns:
        module = getattr(entry, "urlconf_name", None)
        if isinstance(entry, URLResolver) and getattr(module, "__name__", "") == "frontend.urls":
            names = []
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern), f"nested include: {pattern}"
                assert pattern.name, f"unnamed web pattern: {pattern.pattern}"
                names.append(pattern.name)
            return names
    raise AssertionError("frontend.urls is not included")


def url_of(name: str, world) -> str:
    """The URL of a page naming the learner's own (or visible) objects."""
    args = {
        "study_deck": [world.deck.slug],
        "practice_deck": [world.deck.slug],
        "source_detail": [world.source.slug],
        "quiz_detail": [world.class_quiz.pk],
        "quiz_start": [world.class_quiz.pk],
        "attempt_detail": [world.attempt.pk],
        "attempt_answer": [world.attempt.pk, world.quiz_only.pk],
        "attempt_submit": [world.attempt.pk],
        "class_leave": [world.classroom.pk],
        "deck_preset_edit": [world.preset.pk],
        "deck_preset_delete": [world.preset.pk],
        "class_invitation_accept": [world.invitation.pk],
        "class_invitation_decline": [world.invitation.pk],
    }.get(name, [])
    return reverse(name, args=args)
