"""One writing request at a time per process on SQLite (no errors under load).

SQLite lets one transaction write at a time; the others poll for the lock (busy timeout). When
dozens of requests of one server write at once, the lock holder shares the interpreter with all
of them, holds the lock far longer than its work takes, and the pollers that keep missing it run
past the timeout: "database is locked" (a 500). Queueing the writing requests here instead — in
the event loop, first come first served, no thread held while waiting — keeps the lock
uncontended inside the process; reads are not queued. Other processes (a second worker, a
``jixiao`` command) still meet SQLite's own lock and its busy timeout. PostgreSQL needs none of
this: rows are locked, not the database.

A few reading requests write too: the target-table preview dry-runs the import (its inserts are
rolled back). Outside the queue it would meet a saving request's lock and fail at once ("database
is locked": a read transaction cannot become a writer once another one committed), so those
paths, declared in ``WRITING_READS``, take their turn like a write.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Scope

from app.core.admission import Gate

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# GET paths that write (and roll back): the import previews of the web page and the API.
WRITING_READS = re.compile(r"/imports/(?!history$)[^/]+|/api/v1/target-tables/[^/]+")


class SQLiteWriteQueue(Gate):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, 1)

    def admits(self, scope: Scope) -> bool:
        return scope["method"] in WRITING_METHODS or bool(WRITING_READS.fullmatch(scope["path"]))
