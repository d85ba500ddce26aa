"""The client's address as both web addresses see it, behind a reverse proxy or VPN gateway too.

``CLIENT_ADDRESS_HEADER`` (``X-Forwarded-For``) names the header the proxy puts the client's
address in; without it the connection's own address counts. Only the last address of the
header is the proxy's own addition: anything before it the client could have sent itself.
"""
from werkzeug.wrappers import Request


def client_address(request: Request, header: str | None = None) -> str:
    """The client's address: the last hop the configured ``header`` names, else the connection's."""
    if header and request.headers.get(header):
        return request.headers[header].split(",")[-1].strip() or request.remote_addr or "unknown"
    return request.remote_addr or "unknown"
