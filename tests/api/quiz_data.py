"""Quiz content for the API tests: one question of every type, written as authors write them
(the correct choice first, ordering items in the right order), with answer data that is easy
to search for in a response."""

from datetime import datetime

from quizapp.bank import grading
from quizapp.bank.models import AcceptedAnswer, Choice, MatchPair, OrderItem, Question
from quizapp.classroom.models import Assignment, Classroom, Enrolment
from quizapp.quizzes.models import Quiz
from tests.factories import QuestionFactory, QuizFactory

ORDER = ["Treaty of Kars", "Soviet rule", "Independence", "Ceasefire"]
PAIRS = [("France", "Paris"), ("Armenia", "Yerevan"), ("Japan", "Tokyo")]


def question_of_each_type(*, marker: str = "", owner=None) -> list[Question]:
    """Seven published questions, in no deck (so not studyable as flashcards): only a quiz
    shows them. `marker` makes their answer data unique to one test's quiz."""

    def make(kind: str, **fields) -> Question:
        return QuestionFactory(
            slug=f"{kind.replace('_', '-')}{marker}",
            type=kind,
            answer_bool=None,
            prompt=f"Prompt of the {kind} question{marker}?",
            explanation=f"Secret explanation of the {kind} question{marker}.",
            owner=owner,
            **fields,
        )

    single = make("single_choice")
    for position, (text, correct) in enumerate(
        [(f"Yerevan{marker}", True), ("Gyumri", False), ("Vanadzor", False)]
    ):
        Choice.objects.create(question=single, position=position, text=text, is_correct=correct)
    multiple = make("multiple_choice")
    for position, (text, correct) in enumerate(
        [("Aras", True), ("Hrazdan", True), ("Volga", False), ("Danube", False)]
    ):
        Choice.objects.create(question=multiple, position=position, text=text, is_correct=correct)
    true_false = make("true_false")
    true_false.answer_bool = False
    true_false.save(update_fields=["answer_bool"])
    short = make("short_text")
    AcceptedAnswer.objects.create(question=short, position=0, text=f"Zvartnots{marker}")
    numeric = make("numeric", numeric_value="4711.25", numeric_unit="km")
    ordering = make("ordering")
    for position, text in enumerate(ORDER):
        OrderItem.objects.create(question=ordering, position=position, text=text)
    matching = make("matching")
    for position, (left, right) in enumerate(PAIRS):
        MatchPair.objects.create(question=matching, position=position, left=left, right=right)
    return [single, multiple, true_false, short, numeric, ordering, matching]


def assigned_quiz(*, teacher, learner, questions, due_at: datetime, **fields) -> Quiz:
    """A quiz assigned to a class of `teacher` that `learner` is in."""
    quiz = QuizFactory(owner=teacher, visibility="assigned", questions=questions, **fields)
    classroom = Classroom.objects.create(name=f"Class of {teacher.username}")
    classroom.teachers.add(teacher)
    Enrolment.objects.create(classroom=classroom, student=learner, joined_at=due_at)
    Assignment.objects.create(classroom=classroom, quiz=quiz, due_at=due_at, created_by=teacher)
    return quiz


def key_of(question: Question) -> grading.AnswerKey:
    return Question.objects.with_answer_parts().get(pk=question.pk).answer_key()


def right_answer(shown: dict) -> object:
    """The correct answer to a question as an attempt payload shows it, in option ids,
    worked out from the texts (as a learner who knows the answers would)."""
    question = Question.objects.with_answer_parts().get(pk=shown["id"])
    key = question.answer_key()
    by_text = lambda options: {option["text"]: option["id"] for option in options}  # noqa: E731
    match key.type:
        case grading.QuestionType.SINGLE_CHOICE:
            return next(by_text(shown["choices"])[c.text] for c in key.choices if c.correct)
        case grading.QuestionType.MULTIPLE_CHOICE:
            return sorted(by_text(shown["choices"])[c.text] for c in key.choices if c.correct)
        case grading.QuestionType.TRUE_FALSE:
            return key.answer_bool
        case grading.QuestionType.SHORT_TEXT:
            return key.accepted[0]
        case grading.QuestionType.NUMERIC:
            return float(key.value)
        case grading.QuestionType.ORDERING:
            return [by_text(shown["items"])[item.text] for item in key.items]
        case grading.QuestionType.MATCHING:
            lefts, rights = by_text(shown["lefts"]), by_text(shown["rights"])
            return {str(lefts[p.left]): rights[p.right] for p in key.pairs}
    raise AssertionError(key.type)


def wrong_answer(shown: dict) -> object:
    """A well-formed answer that is not fully right."""
    right = right_answer(shown)
    match shown["type"]:
        case "single_choice":
            return next(c["id"] for c in shown["choices"] if c["id"] != right)
        case "multiple_choice":
            return [c["id"] for c in shown["choices"] if c["id"] not in right]
        case "true_false":
            return not right
        case "short_text":
            return "Somewhere else"
        case "numeric":
            return 1.5
        case "ordering":
            return list(reversed(right))
        case "matching":
            lefts = sorted(right)
            return {left: right[lefts[(i + 1) % len(lefts)]] for i, left in enumerate(lefts)}
    raise AssertionError(shown["type"])
