"""HTML forms for answering a question, one shape per type, for every web face.

The student web app's practice mode and quizzes and the admin's "preview as a student" all
build the form here, so a question is answered the same way everywhere and `answer()` always
returns the shape `grading.grade` expects. Every form works without JavaScript (ordering and
matching use selects).
"""

from collections.abc import Sequence

from django import forms

from quizapp.bank import grading
from quizapp.bank.grading import QuestionType


def _ordered(options: Sequence, order: Sequence[int] | None, key=lambda o: o.id) -> list:
    if not order:
        return list(options)
    by_id = {key(o): o for o in options}
    return [by_id[i] for i in order if i in by_id]


class AnswerForm(forms.Form):
    """A form for one question. `order` is the display order of choices, items or the
    right-hand sides of pairs (an attempt's snapshot); without it the key's order is used,
    except ordering items and right-hand sides, which are then shown reversed so the form
    does not give the answer away."""

    def __init__(self, key: grading.AnswerKey, *args, order=None, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.key = key
        qtype = key.type
        if qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            options = [(str(c.id), c.text) for c in _ordered(key.choices, order)]
            if qtype == QuestionType.SINGLE_CHOICE:
                self.fields["choice"] = forms.ChoiceField(
                    label="Your answer", choices=options, widget=forms.RadioSelect
                )
            else:
                self.fields["choices"] = forms.MultipleChoiceField(
                    label="Pick every right answer",
                    choices=options,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
        elif qtype == QuestionType.TRUE_FALSE:
            self.fields["truth"] = forms.ChoiceField(
                label="True or false?",
                choices=[("true", "True"), ("false", "False")],
                widget=forms.RadioSelect,
            )
        elif qtype == QuestionType.SHORT_TEXT:
            self.fields["text"] = forms.CharField(
                label="Your answer",
                max_length=grading.MAX_TEXT_LENGTH,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        elif qtype == QuestionType.NUMERIC:
            label = f"Your answer ({key.unit})" if key.unit else "Your answer"
            self.fields["number"] = forms.CharField(
                label=label, max_length=100, widget=forms.TextInput(attrs={"inputmode": "decimal"})
            )
        elif qtype == QuestionType.ORDERING:
            items = _ordered(key.items, order) if order else list(reversed(key.items))
            positions = [("", "—")] + [(str(n), str(n)) for n in range(1, len(items) + 1)]
            for item in items:
                self.fields[f"item_{item.id}"] = forms.ChoiceField(
                    label=item.text, choices=positions, help_text="Position, 1 = first"
                )
        elif qtype == QuestionType.MATCHING:
            rights = _ordered(key.pairs, order) if order else list(reversed(key.pairs))
            options = [("", "—")] + [(str(p.id), p.right) for p in rights]
            for pair in key.pairs:
                self.fields[f"pair_{pair.id}"] = forms.ChoiceField(label=pair.left, choices=options)

    def clean(self):
        data = super().clean()
        if self.key.type == QuestionType.ORDERING and not self.errors:
            positions = [data[f"item_{item.id}"] for item in self.key.items]
            if len(set(positions)) != len(positions):
                raise forms.ValidationError("Give each item a different position.")
        return data

    def answer(self) -> object:
        """The learner's answer in the shape `grading.grade` takes (call after is_valid)."""
        data, qtype = self.cleaned_data, self.key.type
        if qtype == QuestionType.SINGLE_CHOICE:
            return int(data["choice"])
        if qtype == QuestionType.MULTIPLE_CHOICE:
            return [int(c) for c in data["choices"]]
        if qtype == QuestionType.TRUE_FALSE:
            return data["truth"] == "true"
        if qtype == QuestionType.SHORT_TEXT:
            return data["text"]
        if qtype == QuestionType.NUMERIC:
            return data["number"]
        if qtype == QuestionType.ORDERING:
            by_position = sorted(self.key.items, key=lambda i: int(data[f"item_{i.id}"]))
            return [item.id for item in by_position]
        return {str(p.id): int(data[f"pair_{p.id}"]) for p in self.key.pairs}

    @classmethod
    def initial_for(cls, key: grading.AnswerKey, answer: object) -> dict:
        """Form initial data showing a saved answer again (e.g. returning to a quiz)."""
        if answer is None:
            return {}
        qtype = key.type
        if qtype == QuestionType.SINGLE_CHOICE:
            return {"choice": str(answer)}
        if qtype == QuestionType.MULTIPLE_CHOICE:
            return {"choices": [str(a) for a in answer]}
        if qtype == QuestionType.TRUE_FALSE:
            return {"truth": "true" if answer else "false"}
        if qtype == QuestionType.SHORT_TEXT:
            return {"text": answer}
        if qtype == QuestionType.NUMERIC:
            return {"number": str(answer)}
        if qtype == QuestionType.ORDERING:
            return {f"item_{item_id}": str(n) for n, item_id in enumerate(answer, start=1)}
        return {f"pair_{left}": str(right) for left, right in dict(answer).items()}


def answer_form_for(key: grading.AnswerKey, data=None, *, order=None, prefix=None, initial=None):
    return AnswerForm(key, data=data, order=order, prefix=prefix, initial=initial)
