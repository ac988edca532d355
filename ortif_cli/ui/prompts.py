"""questionary prompts; `unsafe_ask` so Ctrl-C reaches the error mapper (exit 130)."""

from __future__ import annotations

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
