"""The gateway's HTTP API: `create_app(settings)` builds it; routes live in api/routes/."""
from services.gateway.api.app import create_app

__all__ = ["create_app"]
