"""Writes to accounts. Each public function is one transaction.

`learner_delete` reaches into every app that holds a learner's data (as `data.py` does for
the export): deleting a person is the one write that concerns them all."""

from dataclasses import dataclass

from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from knox.models import AuthToken

from quizapp.accounts.models import Session, User
from quizapp.quizzes.models import Attempt, Regrade
from quizapp.quizzes.services import ANONYMISED_LEARNER


class UsernameTaken(Exception):
    """Another account already has this username (compared without regard to case)."""


@transaction.atomic
def user_register(*, username: str, password: str, email: str = "") -> User:
    """Create a student account. Raises UsernameTaken, or Django's ValidationError when the
    password fails the configured validators (which also compare it with the username and
    email)."""
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(username)
    user = User(username=username, email=User.objects.normalize_email(email))
    validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Registered concurrently by another request between the check and the insert.
        raise UsernameTaken(username) from error
    return user


class AccountDeletionRefused(Exception):
    """This account cannot delete itself (a teacher's or administrator's: they own content
    that others use, so an administrator removes them)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LearnerDeletion:
    attempts_anonymised: int
    attempts_deleted: int


def learner_deletion_refusal(*, user: User) -> str | None:
    """Why this account may not delete itself, or None if it may."""
    if user.is_staff or user.is_superuser:
        return (
            "Teacher and administrator accounts own quizzes and classes that others use, so "
            "an administrator removes them."
        )
    return None


@transaction.atomic
def learner_delete(*, user: User) -> LearnerDeletion:
    """Delete a learner's account and their personal data, in one transaction.

    Deleted: the account, every review, card state, daily total and setting, class
    memberships (the learner leaves each roster) and invitations, signed-in devices, and
    failed-login records under their username. Kept, anonymised: for each quiz, the learner's
    first submitted attempt, with its answers and grades and no link to anyone, because a
    quiz's item analysis is computed over each learner's first attempt; their other attempts
    are deleted.
    Regrade records name that attempt's learner as "(deleted learner)". See docs/privacy.md.
    """
    if refusal := learner_deletion_refusal(user=user):
        raise AccountDeletionRefused(refusal)
    attempts = Attempt.objects.filter(user=user)
    first_submitted: dict[int, int] = {}
    for quiz_id, attempt_id in (
        attempts.filter(status=Attempt.Status.SUBMITTED)
        .order_by("quiz_id", "number")
        .values_list("quiz_id", "pk")
    ):
        first_submitted.setdefault(quiz_id, attempt_id)
    kept = list(first_submitted.values())
    attempt_ids = set(attempts.values_list("pk", flat=True))
    # Regrade records keep each changed attempt's learner by name: anonymise those entries.
    for regrade in Regrade.objects.filter(
        question__in=attempts.values("questions__question")
    ).select_for_update():
        changes = [
            {**change, "user": ANONYMISED_LEARNER}
            if change.get("attempt") in attempt_ids
            else change
            for change in regrade.changes
        ]
        if changes != regrade.changes:
            regrade.changes = changes
            regrade.save(update_fields=["changes"])
    attempts.exclude(pk__in=kept).delete()
    anonymised = Attempt.objects.filter(pk__in=kept).update(user=None)
    AccessAttempt.objects.filter(username=user.get_username()).delete()
    try:
        # Cascades to reviews, card states, settings, enrolments, device tokens and sessions.
        user.delete()
    except ProtectedError:
        raise AccountDeletionRefused(
            "This account is named on quizzes or regrades that others use; an administrator "
            "can remove it."
        ) from None
    return LearnerDeletion(
        attempts_anonymised=anonymised, attempts_deleted=len(attempt_ids) - anonymised
    )


@transaction.atomic
def user_password_set(*, user: User, password: str | None) -> User:
    """Set a user's password (None: none usable, no password login), and sign the user out
    everywhere: a device token or session got with the old password must not outlive it.

    Every browser session of the user ends, the caller's too; a view that keeps its own
    session signed in re-creates it next (Django's update_session_auth_hash does). The new
    password is not validated here: the forms that ask for it do that."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    user_sign_out_everywhere(user=user)
    return user


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> None:
    """End every API device token and every browser session of a user."""
    AuthToken.objects.filter(user=user).delete()
    Session.objects.filter(user=user).delete()
