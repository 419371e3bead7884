"""Storage: SQLAlchemy 2 async engine, sessions and per-plugin Alembic migrations."""

from .database import Database
from .migrate import upgrade_all

__all__ = ["Database", "upgrade_all"]
