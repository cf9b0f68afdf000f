"""The shipped question bank: complete, verbatim, and covering the article."""

from collections import Counter

from django.conf import settings

from quizapp.bank.content import load_content, split_paragraphs
from quizapp.bank.grading import QuestionType
from tests.shared_files import shared_dir

CONTENT = settings.BASE_DIR / "content"


def test_the_article_is_a_verbatim_copy_of_the_shared_seed():
    shared = shared_dir() / "seed" / "article.txt"
    ours = CONTENT / "sources" / "armenia-azerbaijan" / "article.txt"
    assert ours.read_text() == shared.read_text()


def test_shipped_content_is_valid_and_large_enough():
    bundle = load_content(CONTENT)
    types = Counter(q.type for q in bundle.questions)
    assert len(bundle.questions) >= 80
    assert len(bundle.decks) >= 4
    assert set(types) == set(QuestionType)
    assert min(types.values()) >= 5, types
    decks = Counter(deck for q in bundle.questions for deck in q.decks)
    assert all(decks[d.slug] >= 5 for d in bundle.decks), decks


def test_every_quote_is_verbatim_in_its_paragraph_of_the_article():
    bundle = load_content(CONTENT)
    paragraphs = split_paragraphs(
        (CONTENT / "sources" / "armenia-azerbaijan" / "article.txt").read_text()
    )
    quotes = [quote for q in bundle.questions for quote in q.quotes]
    assert quotes and all(q.quotes for q in bundle.questions)
    for quote in quotes:
        assert quote.text in paragraphs[quote.paragraph - 1]


def test_every_factual_paragraph_is_cited_by_a_question():
    bundle = load_content(CONTENT)
    (source,) = bundle.sources
    cited = {quote.paragraph for q in bundle.questions for quote in q.quotes}
    factual = {p.number for p in source.paragraphs if p.factual}
    assert factual - cited == set()
    assert len(factual) >= 20


def test_the_topics_the_course_promises_are_covered():
    bundle = load_content(CONTENT)
    text = " ".join(
        " ".join([q.prompt, q.explanation, *q.accepted, *(c for c, _ in q.choices), *q.items])
        for q in bundle.questions
    ).lower()
    for topic in [
        "yerevan",
        "baku",
        "moscow",
        "1994",
        "2020",
        "six-week",
        "armistice",
        "lachin",
        "tegh",
        "peacekeep",
        "sphere of influence",
        "arbiter",
        "arms",
        "ukraine",
        "2018",
        "pashinyan",
        "putin",
        "lavrov",
        "kelly",
        "suny",
    ]:
        assert topic in text, topic


def test_people_have_spelling_variants_where_names_are_typed():
    bundle = load_content(CONTENT)
    typed_names = [
        q for q in bundle.questions if q.type == QuestionType.SHORT_TEXT and len(q.accepted) > 1
    ]
    assert len(typed_names) >= 3
