"""questionary prompts; `unsafe_ask` so Ctrl-C reaches the error mapper (exit 130)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import questionary


def text(question: str) -> str:
    answer: str = questionary.text(question).unsafe_ask()
    return answer


def password(question: str) -> str:
    answer: str = questionary.password(question).unsafe_ask()
    return answer


def confirm(question: str, default: bool = False) -> bool:
    answer: bool = questionary.confirm(question, default=default).unsafe_ask()
    return answer


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
    index: int = questionary.select(
        question, options, use_search_filter=search, use_jk_keys=not search
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
    ticked: list[int] = questionary.checkbox(
        question, options, use_search_filter=search, use_jk_keys=not search
    ).unsafe_ask()
    return [choices[index][1] for index in ticked]
