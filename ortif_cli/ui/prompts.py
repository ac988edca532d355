"""questionary prompts; `unsafe_ask` so Ctrl-C reaches the error mapper (exit 130).

Every word on screen is in the user's language: questionary's instructions are passed
translated (`instruction=`), and where it prints English of its own (the answer of a
yes/no question, "done (2 selections)" under a tick list) the prompt is erased when
answered (`erase_when_done`) and the answered line printed again in our words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from questionary.constants import DEFAULT_QUESTION_PREFIX
from questionary.styles import merge_styles_default

from ortif_cli.i18n import _, ngettext


def text(question: str) -> str:
    answer: str = questionary.text(question).unsafe_ask()
    return answer


def password(question: str) -> str:
    answer: str = questionary.password(question).unsafe_ask()
    return answer


def confirm(question: str, default: bool = False) -> bool:
    """Yes or no: `(y/N)` in English, `(o/N)` in French, where `o` [oui] answers yes."""
    choices = _("(Y/n)") if default else _("(y/N)")
    prompt = questionary.confirm(
        question, default=default, instruction=choices + " ", erase_when_done=True
    )
    keys = KeyBindings()
    for letter, value in ((_("y"), True), (_("n"), False)):
        for key in {letter.lower(), letter.upper()}:
            keys.add(key)(_answer_with(value))
    prompt.application.key_bindings = merge_key_bindings(
        [prompt.application.key_bindings or KeyBindings(), keys]
    )
    answer: bool = prompt.unsafe_ask()
    _answered(question, _("Yes") if answer else _("No"))
    return answer


def _answer_with(value: bool) -> Callable[[KeyPressEvent], None]:
    def answer(event: KeyPressEvent) -> None:
        event.app.exit(result=value)

    return answer


def _answered(question: str, answer: str) -> None:
    """The answered question, as questionary leaves it on screen, in our words."""
    tokens = [
        ("class:qmark", DEFAULT_QUESTION_PREFIX),
        ("class:question", f" {question} "),
        ("class:answer", answer),
    ]
    print_formatted_text(FormattedText(tokens), style=merge_styles_default([None]))


# E: the prompts of the workflow (dossier create, ack, invite) ---------------------------
T = TypeVar("T")
Validator = Callable[[str], "bool | str"]
"""True when the answer is acceptable, else the sentence shown under the prompt."""


def ask_text(question: str, *, default: str = "", validate: Validator | None = None) -> str:
    """A line of text, checked as it is typed when `validate` is given."""
    prompt = questionary.text(question, default=default, validate=validate or (lambda _: True))
    answer: str = prompt.unsafe_ask()
    return answer.strip()


def ask_path(question: str, *, validate: Validator | None = None) -> str:
    """A file path, completed with Tab as in a shell; Enter always answers."""
    from prompt_toolkit.completion import PathCompleter

    prompt = questionary.text(
        question,
        validate=validate or (lambda _: True),
        completer=PathCompleter(expanduser=True),
        complete_while_typing=False,
    )
    answer: str = prompt.unsafe_ask()
    return answer.strip()


def select(question: str, choices: Sequence[tuple[str, T]], *, search: bool = False) -> T:
    """One of `choices` (label, value); with `search`, typing filters the list."""
    options = [questionary.Choice(label, value=index) for index, (label, _) in enumerate(choices)]
    how = _("(Use arrow keys, type to filter)") if search else _("(Use arrow keys)")
    index: int = questionary.select(
        question, options, instruction=how, use_search_filter=search, use_jk_keys=not search
    ).unsafe_ask()
    return choices[index][1]


def checkbox(
    question: str,
    choices: Sequence[tuple[str, T]],
    *,
    search: bool = False,
    checked: bool = False,
) -> list[T]:
    """Any number of `choices`, ticked (or, when all start `checked`, unticked) with space."""
    options = [
        questionary.Choice(label, value=index, checked=checked)
        for index, (label, _) in enumerate(choices)
    ]
    how = (
        _(
            "(Use arrow keys to move, <space> to tick, <ctrl-a> to tick all, type to filter, "
            "<enter> to confirm)"
        )
        if search
        else _(
            "(Use arrow keys to move, <space> to tick, <a> to tick all, <i> to invert, "
            "<enter> to confirm)"
        )
    )
    ticked: list[int] = questionary.checkbox(
        question,
        options,
        instruction=how,
        use_search_filter=search,
        use_jk_keys=not search,
        erase_when_done=True,
    ).unsafe_ask()
    n = len(ticked)
    _answered(
        question, ngettext("{n} ticked", "{n} ticked", n).format(n=n) if n else _("nothing ticked")
    )
    return [choices[index][1] for index in ticked]
