"""Answers to an event's own questions as people read them: in exports, lists and pages."""
from collections.abc import Mapping
from typing import Any

from services.common.vocabulary import QuestionType


def answer_text(question: Mapping[str, Any], answers: Mapping[str, Any] | None) -> str:
    """The answer to ``question`` among ``answers`` (question id -> answer) as text: a yes/no
    question as ``ano`` or ``ne``, several options joined by commas, nothing when unanswered."""
    value = (answers or {}).get(question["id"])
    if value is None:
        return ""
    if question["type"] == QuestionType.YES_NO:
        return "ano" if value else "ne"
    if question["type"] == QuestionType.CHOICES:
        return ", ".join(value)
    return str(value)
