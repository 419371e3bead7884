"""The operator API (FastAPI on uvicorn, in the OCPP server's event loop)."""

from .deps import (
    ApiModel,
    AppDep,
    Page,
    Paged,
    PageDep,
    page_params,
    paginate,
    registered_station,
)

__all__ = [
    "ApiModel",
    "AppDep",
    "Page",
    "PageDep",
    "Paged",
    "page_params",
    "paginate",
    "registered_station",
]
