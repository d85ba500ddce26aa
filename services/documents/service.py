"""The documents service: every PDF the association hands out."""
import base64

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.common.errors import EXPECTED

from . import render
from .pool import RenderPool


def pdf_message(filename: str, data: bytes) -> dict:
    """A PDF as it travels over RPC."""
    return {"filename": filename, "content_type": "application/pdf", "data": base64.b64encode(data).decode("ascii")}



class DocumentsService:
    name = "documents"

    renderer = RenderPool()
    config = Config()

    @rpc(expected_exceptions=EXPECTED)
    def render_ticket(self, payload):
        """The ticket of a confirmed registration; ``payload`` is ``{"registration", "event"}``."""
        registration = payload["registration"]
        context = {
            "registration": registration,
            "event": payload["event"],
            "qr": render.qr_data_uri(registration["ticket_code"]),
            "organiser": self.config.get("ORGANISER_NAME", ""),
        }
        data = self.renderer.pdf("ticket.html", context)
        return pdf_message(f"vstupenka-{registration['id']}.pdf", data)
