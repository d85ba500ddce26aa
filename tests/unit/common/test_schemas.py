from services.common.schemas import CzechSchema, Text


class Note(CzechSchema):
    text = Text(multiline=True)
    line = Text()


def test_multiline_text_keeps_its_line_breaks_as_newlines_whatever_the_browser_sent():
    loaded = Note().load_or_raise({"text": "Dobrý den,\r\n\r\nzítra\rv 9:00.", "line": "  Obec \t Kbelnice "})
    assert loaded == {"text": "Dobrý den,\n\nzítra\nv 9:00.", "line": "Obec Kbelnice"}
