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


class CardStateFactory(factory.django.DjangoModelFactory):
    """A learner's card in Review state, due at `due`; pass `user=` and `question=`."""

    class Meta:
        model = "study.CardState"

    state = 2
    stability = 10.0
    difficulty = 5.0
    reps = 3


class ReviewDayFactory(factory.django.DjangoModelFactory):
    """One study day's totals; pass `user=` and `day=` (a study day number)."""

    class Meta:
        model = "study.ReviewDay"

    reviews = factory.LazyAttribute(
        lambda row: max(1, row.new_cards + row.review_recalled + row.review_forgotten)
    )
    again = 0
    review_recalled = 0
    review_forgotten = 0
    new_cards = 0
    duration_ms = 0


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.Source"

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    publisher = "The Daily Example"


class ParagraphFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.Paragraph"

    source = factory.SubFactory(SourceFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Paragraph {n} of the article says something true.")


class QuoteFactory(factory.django.DjangoModelFactory):
    """Pass `question=` and `paragraph=`; the quote is the paragraph's first five words."""

    class Meta:
        model = "bank.Quote"

    text = factory.LazyAttribute(lambda quote: " ".join(quote.paragraph.text.split()[:5]))


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.Choice"

    text = factory.Sequence(lambda n: f"Choice {n}")
    position = factory.Sequence(lambda n: n)


class AcceptedAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.AcceptedAnswer"


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.OrderItem"


class MatchPairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bank.MatchPair"


# --------------------------------------------------------------------------- import files


def _awkward_text(*, newlines: bool = True):
    """Text that tests escaping: GIFT and CSV syntax, quotes, backslashes, any Unicode."""
    from hypothesis import strategies as st

    syntax = "~=#{}:\\|>-+@%[]\"',; \t" + ("\n" if newlines else "")
    alphabet = st.one_of(
        st.sampled_from(syntax),
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    )
    return st.text(alphabet, min_size=1, max_size=16).map(str.strip).filter(bool)


def imported_question_specs(types=None):
    """A hypothesis strategy of valid imported questions (QuestionSpec) of the given types."""
    from decimal import Decimal

    from hypothesis import strategies as st

    from quizapp.bank.grading import QuestionType, normalize_text
    from quizapp.bank.interchange import imported_question, question_problems

    def same_text(text: str) -> str:  # how validate_key compares choices, items and pairs
        return " ".join(text.split()).casefold()

    slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
    numbers = st.builds(
        lambda digits, places: Decimal(digits).scaleb(-places),
        st.integers(-(10**12), 10**12),
        st.integers(0, 6),
    )

    def distinct(key, min_size, max_size=5, newlines=True):
        return st.lists(
            _awkward_text(newlines=newlines), min_size=min_size, max_size=max_size, unique_by=key
        )

    def parts(qtype: QuestionType):
        match qtype:
            case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_CHOICE:
                return st.tuples(distinct(same_text, 2), st.data(), st.booleans()).map(
                    lambda args: _choices(qtype, *args)
                )
            case QuestionType.TRUE_FALSE:
                return st.fixed_dictionaries({"answer_bool": st.booleans()})
            case QuestionType.SHORT_TEXT:
                return st.fixed_dictionaries(
                    {
                        "accepted": distinct(normalize_text, 1, 3).map(tuple),
                        "typo_tolerance": st.integers(0, 1),
                    }
                )
            case QuestionType.NUMERIC:
                return st.fixed_dictionaries(
                    {
                        "value": numbers,
                        "tolerance": numbers.map(abs),
                        "unit": st.one_of(st.just(""), _awkward_text(newlines=False)),
                    }
                )
            case QuestionType.ORDERING:
                return st.fixed_dictionaries({"items": distinct(same_text, 2).map(tuple)})
            case QuestionType.MATCHING:
                return st.tuples(distinct(same_text, 2), distinct(same_text, 2)).map(
                    lambda sides: {"pairs": tuple(zip(*sides, strict=False))}
                )

    def _choices(qtype, texts, data, shuffle):
        if qtype == QuestionType.SINGLE_CHOICE:
            right = {data.draw(st.integers(0, len(texts) - 1))}
        else:
            indexes = st.sets(st.integers(0, len(texts) - 1), min_size=1, max_size=len(texts) - 1)
            right = data.draw(indexes)
        choices = tuple((text, i in right) for i, text in enumerate(texts))
        return {"choices": choices, "shuffle_choices": shuffle}

    def question(qtype: QuestionType):
        return st.builds(
            lambda slug, prompt, explanation, difficulty, tags, decks, parts: imported_question(
                line=0,
                slug=slug,
                type=qtype,
                prompt=prompt,
                explanation=explanation,
                difficulty=difficulty,
                tags=tuple(tags),
                decks=tuple(decks),
                **parts,
            ),
            slugs,
            _awkward_text(),
            st.one_of(st.just(""), _awkward_text()),
            st.integers(1, 5),
            st.lists(slugs, max_size=2, unique=True),
            st.lists(slugs, max_size=2, unique=True),
            parts(qtype),
        ).filter(lambda spec: not question_problems(spec))

    return st.sampled_from(list(types or QuestionType)).flatmap(question)
