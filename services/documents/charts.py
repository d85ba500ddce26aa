"""Bar charts as SVG, drawn here: WeasyPrint renders SVG itself, so the annual report needs no
plotting library, and its labels stay text in the PDF (searchable, and read back by tests)."""
from xml.sax.saxutils import escape

ROW = 7.0        # mm per bar
LABEL = 62.0     # mm for the labels on the left
WIDTH = 170.0    # mm, the whole chart
VALUE = 14.0     # mm for the figure after the longest bar
COLOUR = "#2f5d8a"


def bar_chart(items, title) -> str:
    """A horizontal bar chart of ``items`` (``(label, value)`` pairs, values >= 0), as an ``<svg>``
    element to put inline in HTML. Labels are escaped; long ones are shortened."""
    items = list(items)
    top = max((value for _, value in items), default=0) or 1
    span = WIDTH - LABEL - VALUE
    height = ROW * len(items) + 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}mm" '
             f'height="{height}mm" viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>']
    for index, (label, value) in enumerate(items):
        y = 1 + index * ROW
        length = span * value / top
        shown = label if len(label) <= 38 else label[:37] + "…"
        parts.append(
            f'<text x="{LABEL - 2}" y="{y + ROW * 0.62:.2f}" text-anchor="end" font-size="3.2">{escape(shown)}</text>'
            f'<rect x="{LABEL}" y="{y + 1:.2f}" width="{length:.2f}" height="{ROW - 2:.2f}" fill="{COLOUR}"/>'
            f'<text x="{LABEL + length + 1.5:.2f}" y="{y + ROW * 0.62:.2f}" font-size="3.2">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
