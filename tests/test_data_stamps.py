"""The project index stamp (app/db/stamps.py), the per-worker unit groups it guards
(app/reports/summaries.py) and the request slots (app/core/admission.py)."""

from __future__ import annotations

import asyncio
import random
import threading
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from app.core.admission import AdmissionLimit
from app.db.migrate import upgrade_to_head
from app.db.models import Project, Unit
from app.db.session import session_scope
from app.db.stamps import changed_here, read_stamp
from app.reports.summaries import SummaryFilter, UnitGroups, unit_groups
from tests.accounts_support import make_user
from tests.review_support import demo_year


def test_span_finds_the_units_a_page_falls_in():
    rng = random.Random(3)
    for _ in range(300):
        sizes = [rng.randint(1, 6) for _ in range(rng.randint(0, 12))]
        keys = tuple((2023, i) for i in range(len(sizes)))
        rows = [k for k, n in zip(keys, sizes, strict=True) for _ in range(n)]  # one entry a project
        ends, total = [], 0
        for n in sizes:
            total += n
            ends.append(total)
        groups = UnitGroups(keys, tuple(ends))
        offset, limit = rng.randint(0, len(rows) + 2), rng.randint(1, 8)
        chosen, skip = groups.span(offset, limit)
        wanted = rows[offset : offset + limit]
        # the chosen units, skipping ``skip`` of the first, give exactly the wanted rows first
        got = [k for k in chosen for _ in range(sizes[k[1]])][skip : skip + limit]
        assert got == wanted
        assert (chosen == []) == (wanted == [])
        assert groups.count == len(rows)


def test_stamp_moves_with_the_index_and_not_with_figures(fresh_database_url):
    upgrade_to_head(fresh_database_url)
    with session_scope() as s:
        projects = demo_year(s)
        project_id = next(iter(projects.values()))[0].id
    with session_scope() as s:
        first = read_stamp(s)
        project = s.get(Project, project_id)
        project.executed_wan = (project.executed_wan or 0) + 1  # a figure: the index is the same
    with session_scope() as s:
        assert read_stamp(s) == first
        project = s.get(Project, project_id)
        project.status = "returned" if project.status != "returned" else "draft"
        assert not changed_here(s)
        s.flush()
        assert changed_here(s)  # its own changes: this session reads counts afresh, never cached
    with session_scope() as s:
        assert not changed_here(s)
        second = read_stamp(s)
        assert second != first
        s.execute(update(Unit).where(Unit.id == project.unit_id).values(name="改名单位"))
    with session_scope() as s:
        assert read_stamp(s) != second  # a bulk statement on the unit table counts too


def test_groups_follow_changes_committed_by_another_session(fresh_database_url):
    upgrade_to_head(fresh_database_url)
    with session_scope() as s:
        unit = Unit(code="901001", name="甲单位")
        s.add(unit)
        s.flush()
        s.execute(
            insert(Project),
            [{"year": 2023, "unit_id": unit.id, "seq": i, "name": f"项目{i}", "goals": [], "status": "draft",
              "version": 1} for i in range(1, 4)],
        )  # fmt: skip
        user = make_user(s, "fin_stamp", "finance")
        user_id = user.id
    submitted = SummaryFilter(year=2023, status="submitted")

    def count(filters: SummaryFilter = submitted) -> int:
        with session_scope() as s:
            from app.db.models.accounts import User

            return unit_groups(s, filters, s.get(User, user_id)).count

    assert count() == 0
    assert count() == 0  # from the worker's cache: same stamp
    with session_scope() as s:
        s.execute(update(Project).where(Project.seq == 1).values(status="submitted"))
    assert count() == 1
    with session_scope() as s:
        first = s.scalar(select(Project).where(Project.seq == 2))
        first.status = "submitted"  # through the unit of work
    assert count() == 2

    # 未填报 turns into 填报中 with the first figure entered, which moves no stamp.
    not_started = SummaryFilter(year=2023, status="not_started")
    drafts = SummaryFilter(year=2023, status="draft")
    assert (count(not_started), count(drafts)) == (1, 0)
    with session_scope() as s:
        s.scalar(select(Project).where(Project.seq == 3)).executed_wan = Decimal("1.5")
    assert (count(not_started), count(drafts)) == (0, 1)


@pytest.mark.parametrize("slots", [1, 3])
def test_admission_limit_lets_in_at_most_its_slots(slots):
    inside = peak = 0

    async def app(scope, receive, send):
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = AdmissionLimit(app, slots=slots)

    async def one() -> list[dict]:
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        await limited({"type": "http", "method": "GET"}, None, send)
        return sent

    async def main():
        return await asyncio.gather(*(one() for _ in range(12)))

    answers: list = []  # in a thread of its own: another test's event loop may be running here
    worker = threading.Thread(target=lambda: answers.extend(asyncio.run(main())))
    worker.start()
    worker.join(10)
    assert len(answers) == 12
    assert peak == slots
    assert all(a[0]["status"] == 200 for a in answers)
