"""Builders for the entry tests: the seed imported into the test session, users, API clients and
bodies that fill a project completely."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.db.models import Indicator, Project, User
from app.submissions.entries import input_kind
from app.targets.formats import read_table
from app.targets.service import import_table
from app.targets.types import ParsedTable, decimal_str
from tests.accounts_support import make_indicator, make_project, make_unit, make_user

SEED = Path(__file__).resolve().parents[1] / "seeds" / "menyuan-emergency-2023.txt"
RETIREES = "退休人员慰问金"  # the seed's project 7: 7 indicators, one qualitative
FLOOD = "应急度汛安全经费"  # the seed's project 8: 26 indicators


@lru_cache
def seed_table() -> ParsedTable:
    return read_table(SEED)


def import_seed(db: Session) -> dict[str, Project]:
    import_table(session=db, table=seed_table(), source_name=SEED.name, sha256="0" * 64)
    return {p.name: p for p in db.scalars(select(Project).where(Project.year == 2023))}


@dataclass
class EntryWorld:
    projects: dict[str, Project]
    other_project: Project  # unit 310001, outside the department's units
    dept: User  # department of 309 (covers 309001, the seed's unit)
    other_dept: User  # department of 310001
    finance: User
    admin: User

    def project(self, name: str = RETIREES) -> Project:
        return self.projects[name]


def make_entry_world(db: Session) -> EntryWorld:
    projects = import_seed(db)
    d310 = make_unit(db, "310", "门源县林业和草原局")
    u310 = make_unit(db, "310001", "门源县林业和草原局本级", d310)
    other = make_project(db, u310, "草原生态保护补助")
    make_indicator(db, other, "草原巡护")
    return EntryWorld(
        projects=projects,
        other_project=other,
        dept=make_user(db, "dept309", "department", ("309",)),
        other_dept=make_user(db, "dept310", "department", ("310001",)),
        finance=make_user(db, "fin", "finance"),
        admin=make_user(db, "root", "admin"),
    )


def api_client(app, db: Session, user: User, scope: str = "write") -> TestClient:
    issued = accounts.create_token(session=db, actor="test", user=user, scope=scope)
    return TestClient(app, headers={"Authorization": f"Bearer {issued.plaintext}"})


def full_marks(ind: Indicator) -> Any:
    """An actual that meets the target exactly (no deviation reason needed)."""
    kind = input_kind(ind)
    if kind == "grade":
        return {"grade": "达成"}
    if kind == "date":
        return {"date": ind.deadline.isoformat()}
    if kind == "reference":
        return {"baseline": "10", "value": "10"}
    if ind.direction == "zero_target":
        return "0"
    return decimal_str(ind.value)


def complete_body(project: Project, version: int | None = None) -> dict[str, Any]:
    """A PUT body that fills the project completely, every indicator at full marks."""
    amount = decimal_str(project.amount_wan or Decimal(1))
    return {
        "version": project.version if version is None else version,
        "budget": {"full_year_wan": amount, "executed_wan": amount},
        "goal_actual": "全年目标均已完成。",
        "actuals": [
            {"indicator_id": ind.id, "actual": full_marks(ind)}
            for ind in sorted(project.indicators, key=lambda i: i.position)
        ],
    }


def indicators(project: Project) -> list[Indicator]:
    return sorted(project.indicators, key=lambda i: i.position)
