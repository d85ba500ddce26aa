"""What every text the office edits from the console shares (the emails' in notifications, the
certificate's in documents): the refusal with a Czech sentence and the checks of a Jinja2 text
before it is saved. Each service keeps its own sandbox, variables and fixed pieces."""
from collections.abc import Iterable

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment


class TextRefused(Exception):
    """A text that cannot be saved: ``message`` says why in Czech (with the line, where there is one)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SYNTAX = (  # Jinja2's words for the usual slips, in Czech
    ("unexpected end of template", "šablona skončila uprostřed příkazu: chybí {% endif %}, {% endfor %} nebo }}"),
    ("Encountered unknown tag", "neznámý příkaz v {% … %}"),
    ("unexpected char", "nečekaný znak"),
    ("unexpected '}'", "nečekaná závorka }"),
    ("expected token", "příkaz nebo výraz není úplný"),
    ("unexpected end of print statement", "prázdné {{ }}"),
    ("no filter named", "neznámý filtr"),
)


def czech_syntax(error: jinja2.TemplateSyntaxError) -> str:
    said = (error.message or "").rstrip(".")
    for english, czech_words in _SYNTAX:
        if english.lower() in said.lower():
            return f"Chyba v textu na řádku {error.lineno}: {czech_words}."
    return f"Chyba v textu na řádku {error.lineno}: {said}."


def check_template(sandbox: SandboxedEnvironment, body: str, variables: Iterable[str], includes: Iterable[str],
                   max_length: int, what: str) -> nodes.Template:
    """The checks at saving that do not depend on the service: not empty, not too long, no
    syntax error (its line named), no reading of a value's internals (``x.__class__``), no
    extends or import, includes only of ``includes``, no variable but ``variables`` (``what``
    names the thing in the refusal: "Tento e-mail", "Osvědčení"). Returns the parsed tree for the
    service's own checks; raises ``TextRefused``."""
    includes, variables = tuple(includes), tuple(sorted(variables))
    if not body.strip():
        raise TextRefused("Text nesmí být prázdný. Výchozí text vrátíte tlačítkem „Vrátit výchozí text“.")
    if len(body) > max_length:
        raise TextRefused(f"Text je delší než {max_length} znaků.")
    try:
        tree = sandbox.parse(body)
    except jinja2.TemplateSyntaxError as error:
        raise TextRefused(czech_syntax(error)) from None
    for access in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = access.attr if isinstance(access, nodes.Getattr) else getattr(getattr(access, "arg", None), "value",
                                                                              None)
        if isinstance(name, str) and name.startswith("_"):
            raise TextRefused(f"Na řádku {access.lineno}: text nesmí číst vnitřní části hodnot ({name}).")
    for statement in tree.find_all((nodes.Extends, nodes.Import, nodes.FromImport)):
        raise TextRefused(f"Na řádku {statement.lineno}: příkazy extends a import v textu použít nelze.")
    for include in tree.find_all(nodes.Include):
        template = include.template
        if not (isinstance(template, nodes.Const) and template.value in includes):
            raise TextRefused(f"Na řádku {include.lineno}: vložit lze jen {' nebo '.join(includes)}.")
    unknown = sorted(meta.find_undeclared_variables(tree) - set(variables))
    if unknown:
        raise TextRefused(f"Neznámé proměnné: {', '.join(unknown)}. {what} dostává jen: {', '.join(variables)}.")
    return tree
