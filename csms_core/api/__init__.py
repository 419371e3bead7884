"""The operator API (FastAPI on uvicorn, in the OCPP server's event loop)."""

from .deps import ApiModel, AppDep, page_params

__all__ = ["ApiModel", "AppDep", "page_params"]
