"""Reading a question's answer controls from a page as a learner sees them (by their visible
text, not by ids or the order they are shown in), and filling them in the same way."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.urls import reverse


@dataclass
class Select:
    name: str
    label: str
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, text, selected

    @property
    def shown(self) -> str:
        """The text of the option shown: the selected one, else the first (the placeholder)."""
        selected = [text for _, text, chosen in self.options if chosen]
        return (selected or [self.options[0][1]])[-1] if self.options else ""


@dataclass
class Controls:
    """The answer controls inside one element of a page (e.g. one quiz question's `<li>`)."""

    choices: list[dict] = field(default_factory=list)  # name, value, text, checked, disabled
    texts: list[dict] = field(default_factory=list)  # name, value, disabled
    selects: list[Select] = field(default_factory=list)

    @property
    def checked(self) -> list[str]:
        return [choice["text"] for choice in self.choices if choice["checked"]]

    @property
    def text(self) -> str | None:
        return self.texts[0]["value"] if self.texts else None

    @property
    def selected(self) -> dict[str, str]:
        """Each row's label → the text of the option it shows ("Choose…" when none)."""
        return {select.label: select.shown for select in self.selects}

    def form_data(self, answer) -> dict:
        """POST data picking `answer`, given as a learner would: the texts of the choices to
        tick, the text to type, or each row's label → the option text to pick."""
        if self.choices:
            picks = [answer] if isinstance(answer, str) else answer
            unknown = set(picks) - {choice["text"] for choice in self.choices}
            assert not unknown, f"no such choice: {unknown}"
            return {
                self.choices[0]["name"]: [c["value"] for c in self.choices if c["text"] in picks]
            }
        if self.texts:
            return {self.texts[0]["name"]: answer}
        data = {}
        for select in self.selects:
            wanted = answer.get(select.label, "")
            values = [value for value, text, _ in select.options if text == wanted or not wanted]
            data[select.name] = values[0] if values else wanted
        return data


class _Reader(HTMLParser):
    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0  # inside the element: how deep
        self.controls = Controls()
        self.label_for: dict[str, str] = {}
        self.select_ids: dict[int, str] = {}
        self._label: dict | None = None
        self._select: Select | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth == 0:
            if attributes.get("id") == self.element_id:
                self.depth = 1
            return
        if tag not in ("input", "br", "img", "meta", "link"):
            self.depth += 1
        if tag == "label":
            self._label = {"for": attributes.get("for"), "text": "", "input": None}
        elif tag == "input" and attributes.get("type") in ("radio", "checkbox"):
            choice = {
                "name": attributes.get("name"),
                "value": attributes.get("value"),
                "text": "",
                "checked": "checked" in attributes,
                "disabled": "disabled" in attributes,
            }
            self.controls.choices.append(choice)
            if self._label is not None:
                self._label["input"] = choice
        elif tag == "input" and attributes.get("type") == "text":
            self.controls.texts.append(
                {
                    "name": attributes.get("name"),
                    "value": attributes.get("value", ""),
                    "disabled": "disabled" in attributes,
                }
            )
        elif tag == "select":
            self._select = Select(attributes.get("name", ""), "")
            self.select_ids[len(self.controls.selects)] = attributes.get("id", "")
            self.controls.selects.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value", ""), "", "selected" in attributes]

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        self.depth -= 1
        if tag == "label" and self._label is not None:
            text = " ".join(self._label["text"].split())
            if self._label["input"] is not None:
                self._label["input"]["text"] = text
            elif self._label["for"]:
                self.label_for[self._label["for"]] = text
            self._label = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, text, selected = self._option
            self._select.options.append((value, " ".join(text.split()), selected))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self.depth == 0:
            return
        if self._label is not None:
            self._label["text"] += data
        if self._option is not None:
            self._option[1] += data


def controls_in(html: str, element_id: str) -> Controls:
    reader = _Reader(element_id)
    reader.feed(html)
    reader.close()
    for index, select in enumerate(reader.controls.selects):
        select.label = reader.label_for.get(reader.select_ids[index], "")
    return reader.controls


def pick_and_save(client, attempt, question, picked) -> str:
    """Pick an answer on the attempt page by the texts shown (see `Controls.form_data`), and
    save it as a browser without JavaScript does. Returns the page's URL."""
    url = reverse("attempt_detail", args=[attempt.pk])
    controls = controls_in(client.get(url).content.decode(), f"q-{question.pk}")
    answer_url = reverse("attempt_answer", args=[attempt.pk, question.pk])
    saved = client.post(answer_url, controls.form_data(picked))
    assert saved.status_code == 302, saved.content.decode()
    return url
