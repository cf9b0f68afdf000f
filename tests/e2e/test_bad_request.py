"""The page a NUL character in an address gets (400 instead of a server error), as a teacher in
the admin and a learner on the web see it, on a desktop and a phone."""

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, admin_log_in, log_in


def test_a_nul_in_an_address_shows_a_page_naming_the_parameter(new_page, seeded, axe_check):
    for viewport, label in [(DESKTOP, "desktop"), (PHONE, "phone")]:
        teacher = new_page(viewport=viewport, is_mobile=viewport is PHONE)
        admin_log_in(teacher, "teacher", "quizapp-teacher")
        response = teacher.goto("/admin/bank/question/?status__exact=%00")
        assert response.status == 400
        expect(teacher.get_by_role("heading", name="Bad request")).to_be_visible()
        expect(teacher.get_by_role("alert")).to_contain_text(
            "The query parameter “status__exact” contains a NUL character"
        )
        overflow = teacher.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways ({overflow}px)"
        axe_check(teacher, f"bad-request-admin-{label}")
        teacher.get_by_role("link", name="Back to the home page").click()
        expect(teacher.get_by_role("heading", level=1)).to_contain_text("Welcome back")

    learner = new_page(viewport=PHONE, is_mobile=True)
    log_in(learner, "ani", "quizapp-student")
    response = learner.goto("/quizzes/?sort=%00")
    assert response.status == 400
    expect(learner.get_by_role("button", name="Log out ani")).to_be_visible()
    expect(learner.get_by_role("alert")).to_contain_text("“sort”")
    axe_check(learner, "bad-request-web-phone")
