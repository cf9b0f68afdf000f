import factory
from django.contrib.auth.hashers import make_password

from quizapp.accounts.models import User
from quizapp.accounts.roles import user_make_teacher

PASSWORD = "correct-horse-battery"


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"student{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


class TeacherFactory(StudentFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")

    @factory.post_generation
    def teacher_role(user, create, extracted, **kwargs):
        if create:
            user_make_teacher(user=user)


class DeckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.Deck"

    slug = factory.Sequence(lambda n: f"deck-{n}")
    title = factory.Sequence(lambda n: f"Deck {n}")
    position = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    """A published true/false question; pass `deck=` to put it in a deck."""

    class Meta:
        model = "bank.Question"
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"question-{n}")
    type = "true_false"
    prompt = factory.Sequence(lambda n: f"Statement number {n} is true.")
    explanation = "Because the article says so."
    answer_bool = True
    status = "published"

    @factory.post_generation
    def deck(question, create, extracted, **kwargs):
        if create and extracted is not None:
            from quizapp.bank.models import DeckQuestion

            DeckQuestion.objects.create(deck=extracted, question=question, position=question.pk)


class ChoiceQuestionFactory(QuestionFactory):
    """A published single-choice question with choices A (correct), B and C."""

    type = "single_choice"
    answer_bool = None

    @factory.post_generation
    def choices(question, create, extracted, **kwargs):
        if create:
            from quizapp.bank.models import Choice

            for position, (text, correct) in enumerate(
                extracted or [("A", True), ("B", False), ("C", False)]
            ):
                Choice.objects.create(
                    question=question, position=position, text=text, is_correct=correct
                )


class QuizFactory(factory.django.DjangoModelFactory):
    """A published public quiz; pass `questions=[...]` to add them as items (1 point each)."""

    class Meta:
        model = "quizzes.Quiz"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Quiz {n}")
    owner = factory.SubFactory(TeacherFactory)
    published = True
    visibility = "public"
    attempts_allowed = 0

    @factory.post_generation
    def questions(quiz, create, extracted, **kwargs):
        if create and extracted:
            from quizapp.quizzes.models import QuizItem

            for position, question in enumerate(extracted):
                QuizItem.objects.create(quiz=quiz, question=question, position=position)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "classroom.Classroom"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Class {n}")

    @factory.post_generation
    def teachers(classroom, create, extracted, **kwargs):
        if create:
            classroom.teachers.add(*(extracted or [TeacherFactory()]))
