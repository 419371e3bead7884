"""Logging set-up: text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class _CachedTime:
    """formatTime with the strftime part computed once per second: a reconnect storm logs
    tens of thousands of lines (connected, registered, booted) in a few seconds."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return logging.Formatter.formatTime(self, record, datefmt)  # type: ignore[arg-type]
        second = int(record.created)
        if second != self._second:
            self._text = time.strftime(
                logging.Formatter.default_time_format, time.localtime(second)
            )
            self._second = second
        return f"{self._text},{int(record.msecs):03d}"


class TextFormatter(_CachedTime, logging.Formatter):
    pass


class FastJsonFormatter(_CachedTime, JsonFormatter):
    pass


# Their DEBUG shows rows (key and password hashes) and driver calls with their arguments.
DATABASE_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")


def configure_logging(level: str = "info", fmt: str = "text", log_database: bool = False) -> None:
    """``log_database``: the database drivers' INFO (SQL statements, their parameters hidden);
    otherwise, and never more than that, their warnings only."""
    # Neither format shows where a call came from, nor the thread or process: skip looking
    # them up for each record (the logging HOWTO's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(FastJsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter stays quiet unless we debug.
    for noisy in ("websockets", "uvicorn", "alembic"):
        logging.getLogger(noisy).setLevel("WARNING" if level != "debug" else "INFO")
    for driver in DATABASE_LOGGERS:
        logging.getLogger(driver).setLevel("INFO" if log_database else "WARNING")
