from frontend.highlighting import mark_quotes


def test_the_source_lists_its_numbered_linkable_paragraphs(signed_in, bank):
    html = signed_in.get("/sources/the-article/").content.decode()
    for number in (1, 2, 3):
        assert f'id="p-{number}"' in html and f'href="#p-{number}"' in html
    assert "<mark>" not in html


def test_arriving_from_a_question_highlights_its_quote(signed_in, bank):
    html = signed_in.get(f"/sources/the-article/?q={bank.single.slug}").content.decode()
    assert "<mark>Yerevan is the capital of Armenia</mark> and its largest city." in html
    assert 'class="paragraph cited" id="p-1"' in html
    assert "Highlighted: what the question “Which city is the capital of Armenia?” quotes" in html


def test_each_paragraph_lists_the_published_questions_citing_it(signed_in, bank):
    html = signed_in.get("/sources/the-article/").content.decode()
    assert "7 questions cite this paragraph" in html
    link = f'href="/practice/?card={bank.single.pk}">Which city is the capital of Armenia?</a>'
    assert link in html
    assert "A draft." not in html and f"card={bank.draft.pk}" not in html


def test_a_draft_question_highlights_nothing(signed_in, bank):
    html = signed_in.get(f"/sources/the-article/?q={bank.draft.slug}").content.decode()
    assert "<mark>" not in html and "Highlighted" not in html


def test_an_unknown_source_is_not_found(signed_in, db):
    assert signed_in.get("/sources/nope/").status_code == 404


def test_the_source_list_links_each_source(signed_in, bank):
    html = signed_in.get("/sources/").content.decode()
    assert 'href="/sources/the-article/"' in html
    assert "3 paragraphs · 7 questions" in html


def test_source_pages_take_a_bounded_number_of_queries(
    signed_in, bank, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        signed_in.get(f"/sources/the-article/?q={bank.single.slug}")
    with django_assert_max_num_queries(3):
        signed_in.get("/sources/")


def test_quotes_are_marked_exactly_and_case_insensitively():
    text = "Baku is the capital. Yerevan too."
    assert mark_quotes(text, ["the capital"]) == [
        ("Baku is ", False), ("the capital", True), (". Yerevan too.", False)
    ]  # fmt: skip
    assert mark_quotes(text, ["YEREVAN TOO."]) == [("Baku is the capital. ", False),
                                                   ("Yerevan too.", True)]  # fmt: skip
    assert mark_quotes(text, ["Baku is", "is the"]) == [
        ("Baku is the", True), (" capital. Yerevan too.", False)
    ]  # fmt: skip
    assert mark_quotes(text, ["not there"]) == [(text, False)]
