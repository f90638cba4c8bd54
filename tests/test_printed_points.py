"""A 自评表 that prints its own split of points (产出 40/效益 20/满意度 20/预算执行率 20, and
60/20/10 with the budget weight left to 100 − Σ) is imported through the upload page, entered
through the form, the API and the workbook, and scored with the table's points — the level-weight
warning shown with the import, the entry form, the review page (in Chromium) and the API score.

Every project is filled at full marks except its funds: executed = half the full-year budget, so
each total depends on the budget weight the table gives (under the policy's 10 it would differ).
"""

from __future__ import annotations

import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts import security
from app.db.models import ImportBatch, Project
from app.submissions import workbook
from tests.accounts_support import csrf, logged_in, make_user
from tests.entry_support import api_client, complete_body, full_marks, indicators
from tests.review_support import fill_project
from tests.test_upload_flow import confirm, upload_file

HEAD = "一级指标,二级指标,三级指标,指标值,分值"
FORTY = """项目名称,造林绿化专项,资金总额(万元),100.00
年度绩效目标,目标1：完成造林1000亩，苗木成活率85%以上。,,,
{head}
产出指标,数量指标,完成造林面积,≥1000亩,20
,质量指标,苗木成活率,≥85%,20
效益指标,生态效益指标,森林覆盖率提升,≥0.5%,20
满意度指标,服务对象满意度指标,群众满意度,≥90%,20
预算执行率,,,,20
"""
SIXTY = """项目名称,{name},资金总额(万元),{amount}
年度绩效目标,目标1：完成巡护与防火宣传。,,,
{head}
产出指标,数量指标,开展森林巡护,≥200次,30
,时效指标,巡护完成时间,2023年12月31日前,30
效益指标,社会效益指标,森林火灾受害率,≤0.9‰,20
满意度指标,服务对象满意度指标,林区群众满意度,≥90%,10
"""
TABLE = (
    "某县林业和草原局2023年项目支出绩效自评表,,,,\n"
    "主管部门,310 某县林业和草原局,,,\n"
    "单位编码,310001,单位名称,某县林业和草原局本级,\n"
    + FORTY.format(head=HEAD)
    + ",,,,\n"
    + SIXTY.format(head=HEAD, name="森林防火巡护", amount="40.00")
    + ",,,,\n"
    + SIXTY.format(head=HEAD, name="护林员管护补助", amount="20.00")
).encode("utf-8")

FORTY_WARNING = (
    "一级指标分值与评分规则不同：产出指标 40（规则 50）、效益指标 20（规则 30）、"
    "满意度指标 20（规则 10）、预算执行率 20（规则 10）"
)
SIXTY_WARNING = "一级指标分值与评分规则不同：产出指标 60（规则 50）、效益指标 20（规则 30）"
# full marks on every indicator, half the budget executed: Σ points + W_budget × 50%
EXPECTED = {"造林绿化专项": "90.00", "森林防火巡护": "95.00", "护林员管护补助": "95.00"}


@pytest.fixture
def imported(app, db):
    return import_through_the_upload_page(app, db)


def import_through_the_upload_page(app, db):
    """The table imported by finance through the upload page; the department's clerk logged in."""
    finance = logged_in(app, make_user(db, "fin", "finance"))
    token = upload_file(finance, TABLE, "自评表.csv")
    preview = finance.get(f"/imports/{token}").text
    assert FORTY_WARNING in preview and SIXTY_WARNING in preview  # shown before anything is saved
    assert "应为 50" not in preview
    done = confirm(finance, token, preview)
    assert done.status_code == 303, done.text
    batch = db.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    stored = [w["message"].split("；")[0] for w in batch.warnings if w["code"] == "level_weights_differ"]
    assert stored == [FORTY_WARNING, SIXTY_WARNING, SIXTY_WARNING]  # stored with the import
    projects = {p.name: p for p in db.scalars(select(Project).where(Project.year == 2023))}
    assert set(projects) == set(EXPECTED)
    assert projects["造林绿化专项"].budget_points == Decimal(20)
    assert projects["森林防火巡护"].budget_points is None
    points = [ind.points for ind in indicators(projects["森林防火巡护"])]
    assert points == [Decimal(30), Decimal(30), Decimal(20), Decimal(10)]
    clerk_user = make_user(db, "dept310", "department", ("310001",))
    return finance, logged_in(app, clerk_user), clerk_user, projects


def _half_budget(project: Project) -> dict[str, str]:
    full = project.amount_wan
    return {"full_year_wan": str(full), "executed_wan": str(full / 2), "budget_reason": "部分工程跨年实施"}


def _form_fields(client, project: Project) -> dict[str, str]:
    """The entry form as a browser posts it: every indicator at full marks, half the budget."""
    page = client.get(f"/entry/projects/{project.id}")
    assert page.status_code == 200, page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)[1]
    fields = {security.CSRF_FIELD: csrf(client), "version": version}
    fields |= _half_budget(project) | {"goal_actual": "目标均已完成。"}
    for ind in indicators(project):
        actual = full_marks(ind)
        if isinstance(actual, dict) and "grade" in actual:
            fields[f"g-{ind.id}"] = "achieved"
        elif isinstance(actual, dict) and "date" in actual:
            fields[f"d-{ind.id}"] = actual["date"]
        else:
            fields[f"a-{ind.id}"] = actual
    return fields


def _total(api, project: Project) -> tuple[str, list[str]]:
    body = api.get(f"/api/v1/projects/{project.id}").json()
    score = body["score"]
    assert score is not None, body.get("score_error")
    return score["total"], [w["message"] for w in score["warnings"]]


def test_printed_points_are_scored_through_the_form_the_api_and_the_workbook(app, db, imported):
    finance, clerk, clerk_user, projects = imported
    api = api_client(app, db, clerk_user)

    # the entry form
    forty = projects["造林绿化专项"]
    saved = clerk.post(f"/entry/projects/{forty.id}", data=_form_fields(clerk, forty), follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = clerk.get(saved.headers["location"]).text
    assert FORTY_WARNING in page
    assert re.search(r'id="total">\s*<strong class="total">90\.00</strong>', page), "the form's total"

    # the API
    sixty = projects["森林防火巡护"]
    body = complete_body(sixty)
    body["budget"] = {k: v for k, v in _half_budget(sixty).items() if k != "budget_reason"}
    body["budget_reason"] = "部分工程跨年实施"
    put = api.put(f"/api/v1/projects/{sixty.id}/actuals", json=body)
    assert put.status_code == 200, put.text

    # the workbook: downloaded pre-filled, the actuals typed offline, uploaded, confirmed
    keeper = projects["护林员管护补助"]
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{keeper.id}/workbook.xlsx").content))
    ws = wb[wb.sheetnames[1]]
    head = next(r for r in range(1, 30) if ws.cell(row=r, column=1).value == workbook.HEADER_ID)
    titles = {ws.cell(row=head, column=c).value: c for c in range(1, ws.max_column + 1)}
    actual_col = titles[dict((k, t) for k, t, _ in workbook.HEADERS)["actual"]]
    by_id = {ind.id: ind for ind in indicators(keeper)}
    for r in range(head + 1, ws.max_row + 1):
        ind = by_id.get(ws.cell(row=r, column=1).value)
        if ind is not None:
            actual = full_marks(ind)
            ws.cell(row=r, column=actual_col).value = (
                actual["date"] if isinstance(actual, dict) and "date" in actual else actual
            )
    for row in ws.iter_rows(min_row=1, max_row=head):
        for cell in row:
            if cell.value in ("全年预算数（万元）", "全年执行数（万元）", "预算执行偏差原因"):
                value = {"全年预算数（万元）": "20", "全年执行数（万元）": "10"}.get(
                    cell.value, "部分工程跨年实施"
                )
                ws.cell(row=cell.row, column=cell.column + 1).value = value
    data = io.BytesIO()
    wb.save(data)
    preview = clerk.post(
        "/entry/upload",
        data={security.CSRF_FIELD: csrf(clerk)},
        files={"file": ("填报表.xlsx", data.getvalue(), workbook.XLSX_MEDIA_TYPE)},
    )
    assert preview.status_code == 200 and "检查通过" in preview.text, preview.text
    payload = re.search(r'name="payload" value="([^"]+)"', preview.text)[1]
    landed = clerk.post(
        "/entry/upload/confirm",
        data={security.CSRF_FIELD: csrf(clerk), "payload": payload, "filename": "填报表.xlsx"},
        follow_redirects=False,
    )
    assert landed.status_code == 303, landed.text

    for name, project in projects.items():
        total, warnings = _total(api, project)
        assert total == EXPECTED[name], name
        assert warnings[0] == (FORTY_WARNING if name == "造林绿化专项" else SIXTY_WARNING), name
        review = finance.get(f"/review/{project.id}")
        assert review.status_code == 200 and warnings[0] in review.text


def test_must_match_refuses_the_printed_split_at_submission(app, db):
    """Under ``printed_points = must_match`` nothing is refused at import; submission is, with
    the clerk told why."""
    from app.scoring import policies

    policies.create_policy(session=db, name="strict", changes={"printed_points": "must_match"}, actor="t")
    policies.set_year_policy(session=db, year=2023, name="strict", actor="t")
    _finance, clerk, _user, projects = import_through_the_upload_page(app, db)
    forty = projects["造林绿化专项"]
    r = clerk.post(
        f"/entry/projects/{forty.id}/submit", data=_form_fields(clerk, forty), follow_redirects=False
    )
    assert r.status_code == 422, r.text
    assert "表中分值与评分规则不一致" in r.text
    db.refresh(forty)
    assert forty.status != "submitted"


@pytest.mark.browser
def test_review_page_shows_the_level_weight_warning(page, live_server, tmp_path):
    from app.db.session import session_scope
    from app.targets.service import import_table
    from app.targets.upload import parse_upload

    with session_scope() as s:
        import_table(
            session=s,
            table=parse_upload(TABLE, filename="自评表.csv"),
            source_name="自评表.csv",
            sha256="0" * 64,
        )
        make_user(s, "fin", "finance")
        project = s.scalar(select(Project).where(Project.name == "造林绿化专项"))
        fill_project(s, project, rate=Decimal("0.5"))  # full marks, half the budget executed
        project_id = project.id
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "fin")
    page.fill("input[name=password]", "correct-horse-9")
    page.click("button[type=submit]")
    page.goto(f"{live_server}/review/{project_id}")
    notice = page.locator("li.warn", has_text="一级指标分值与评分规则不同")
    assert notice.first.inner_text() == FORTY_WARNING
    assert "90.00 / 100.00" in page.locator("body").inner_text()  # Σ points 80 + 20 × 50%
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "review-printed-points.png"), full_page=True)
    page.goto(f"{live_server}/entry/projects/{project_id}")
    total_row = page.locator("tr.total-row").inner_text()
    assert "预算执行 20.00 分 + 绩效指标 80.00 分" in total_row and "90.00" in total_row
    assert FORTY_WARNING in page.locator(".card.warnings").inner_text()
    page.screenshot(path=str(folder / "entry-printed-points.png"), full_page=True)
