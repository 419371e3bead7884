"""Operator API of the Core profile, under ``/api/v1`` with the API key: id tags,
transactions, and per-station resources (configuration, status history, registration,
meter values, the Core calls)."""

from fastapi import APIRouter

from . import idtags, stations, transactions

router = APIRouter()
router.include_router(idtags.router)
router.include_router(transactions.router)
router.include_router(stations.router)

__all__ = ["router"]
