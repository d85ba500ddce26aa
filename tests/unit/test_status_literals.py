"""No status literal is compared outside its enum (issue 26).

Every closed vocabulary (statuses, kinds, outcomes, roles, ...) is a ``StrEnum``: the ones that
travel between services in ``services/common/vocabulary.py``, a service's own in its
``domain.py``. Elsewhere code names the member (``RegistrationStatus.CONFIRMED``), never the text
(``"confirmed"``), so that a misspelt word is an ``AttributeError`` at once (and a wrong one a
mypy error where functions are annotated) rather than a comparison that is quietly never true.

The vocabularies are found by reading the source: every ``class X(StrEnum)`` under ``services``
and the texts of its members. Then every module is read for a text of a vocabulary that is
compared (``==``, ``!=``, ``in`` or ``not in`` a tuple, list or set of texts), or given as a
keyword argument, a dict value, an item assignment or a default named like a vocabulary
(``status``, ``state``, ``kind``, ...), anywhere but in a module that defines an enum with that
text. Templates are not read: they compare with values, which the members are.
"""
import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The names under which a vocabulary's word is given or kept.
NAMED = {"status", "state", "kind", "outcome", "purpose", "format", "role", "type", "source"}

def _modules(root):
    return sorted(path for path in (root / "services").rglob("*.py") if "migrations" not in path.parts)


def _name(path, root):
    return path.relative_to(root).as_posix()


def vocabularies(root=ROOT) -> dict[str, set[str]]:
    """Each word of a vocabulary -> the modules that define an enum with it."""
    words = defaultdict(set)
    for path in _modules(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(base, ast.Name) and base.id == "StrEnum" for base in node.bases):
                for item in node.body:
                    if isinstance(item, ast.Assign) and _text(item.value) is not None:
                        words[item.value.value].add(_name(path, root))
    return words


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _texts(node):
    """The texts ``node`` is, or holds as a tuple, list or set of constants."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [text for text in map(_text, node.elts) if text is not None]
    text = _text(node)
    return [] if text is None else [text]


def _uses(tree):
    """``(line, text, how)`` of each text compared or given under a vocabulary's name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
                if isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                    for text in _texts(left) + _texts(right):
                        yield node.lineno, text, f"compared with {ast.unparse(right if _texts(left) else left)}"
        elif isinstance(node, ast.keyword) and node.arg in NAMED:
            for text in _texts(node.value):
                yield node.value.lineno, text, f"given as {node.arg}="
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _text(key) in NAMED:
                    for text in _texts(value):
                        yield value.lineno, text, f"kept as {key.value!r}"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _text(target.slice) in NAMED:
                    for text in _texts(node.value):
                        yield node.lineno, text, f"assigned to [{target.slice.value!r}]"
        elif isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            pairs = list(zip(positional[len(positional) - len(node.defaults):], node.defaults, strict=True))
            pairs += [(arg, default) for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                      if default is not None]
            for arg, default in pairs:
                if arg.arg in NAMED:
                    for text in _texts(default):
                        yield default.lineno, text, f"the default of {arg.arg}"


def violations(root=ROOT, words=None) -> list[str]:
    """Where a word of a vocabulary is spelt out of its enum, in the modules under ``root``."""
    words = vocabularies(root) if words is None else words
    found = []
    for path in _modules(root):
        name = _name(path, root)
        for line, text, how in _uses(ast.parse(path.read_text(encoding="utf-8"))):
            if text in words and name not in words[text]:
                found.append(f"{name}:{line}: {text!r} {how} (use the member of its enum in "
                             f"{', '.join(sorted(words[text]))})")
    return found


def test_the_vocabularies_are_found():
    words = vocabularies()
    for word, where in {"confirmed": "services/common/vocabulary.py", "published": "services/common/vocabulary.py",
                        "credit_note": "services/common/vocabulary.py", "queued": "services/common/vocabulary.py",
                        "matched": "services/payments/domain.py", "admin": "services/backoffice/domain.py"}.items():
        assert where in words[word]


def test_no_status_literal_is_compared_outside_its_enum():
    found = violations()
    assert not found, "A vocabulary's word spelt as text:\n" + "\n".join(found)
