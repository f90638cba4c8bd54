"""The 自评表 exports: XLSX read back (layout, merged level cells, totals equal the API's), the
print page, the unit workbook, a project across years, the finance overview."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.accounts import service as accounts
from app.scoring.service import compute_project_score, latest_snapshot
from tests.accounts_support import csrf, logged_in, make_user
from tests.review_support import demo_year, fill_project, submit


@pytest.fixture
def county(db):
    projects = demo_year(db)
    fin = make_user(db, "fin", "finance")
    token = accounts.create_token(session=db, actor="test", user=fin, scope="read")
    return projects, fin, {"Authorization": f"Bearer {token.plaintext}"}


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _find(ws, text):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not in sheet")


def _merged_at(ws, cell):
    return next((str(r) for r in ws.merged_cells.ranges if cell.coordinate in r), None)


def test_report_xlsx_is_laid_out_like_the_form_and_its_total_equals_the_api(client, db, county):
    projects, _, h = county
    for p in (projects["309001"][0], projects["311001"][1], projects["310001"][7]):
        r = client.get(f"/api/v1/projects/{p.id}/report.xlsx", headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws["A1"].value == "项目支出绩效自评表" and ws["A2"].value == f"（{p.year}年度）"
        assert _find(ws, "项目名称").offset(column=2).value == p.name
        assert _find(ws, "实施单位").offset(column=1).value == p.unit.name
        for label in ("主管部门", "年初预算数", "全年预算数", "全年执行数", "执行率", "年度总体目标", "预期目标", "实际完成情况",
                      "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施"):  # fmt: skip
            _find(ws, label)
        total = _find(ws, "总分")
        header = [c.value for c in ws[_find(ws, "一级指标").row]]
        score_col = header.index("得分") + 1
        xlsx_total = _d(ws.cell(row=total.row, column=score_col).value)
        summary = client.get(
            "/api/v1/summaries", params={"year": p.year, "unit": p.unit.code}, headers=h
        ).json()
        api_total = next(i["total"] for i in summary["items"] if i["project_id"] == p.id)
        assert xlsx_total == Decimal(api_total)
        # The indicator scores add up to the total with the budget score.
        first = _find(ws, "一级指标").row + 1
        scores = [_d(ws.cell(row=r, column=score_col).value) for r in range(first, total.row)]
        budget = _d(ws.cell(row=_find(ws, "年度资金总额").row, column=9).value)
        assert sum(scores) + budget == xlsx_total
        assert len(scores) == len(p.indicators)
        # Level-1 cells are merged over their indicators.
        level1 = ws.cell(row=first, column=2)
        merged = _merged_at(ws, level1)
        assert level1.value == "产出指标" and merged is not None and merged.startswith("B")


def test_reviewer_adjustments_appear_beside_the_computed_scores(client, db, county):
    projects, fin, h = county
    p = projects["310001"][0]  # submitted
    ind = sorted(p.indicators, key=lambda i: i.position)[0]
    web = logged_in(client.app, fin)
    r = web.post(
        f"/review/{p.id}/adjust",
        data={
            "indicator_id": ind.id,
            "kind": "score",
            "value": "1",
            "reason": "佐证不足",
            "csrf_token": csrf(web),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    ws = load_workbook(
        io.BytesIO(client.get(f"/api/v1/projects/{p.id}/report.xlsx", headers=h).content)
    ).active
    header_row = _find(ws, "一级指标").row
    header = [c.value for c in ws[header_row]]
    assert "计算得分" in header and "复核调整说明" in header
    row = header_row + 1
    computed = compute_project_score(session=db, project=p).indicators[0]
    assert _d(ws.cell(row=row, column=header.index("计算得分") + 1).value) == computed.score
    assert _d(ws.cell(row=row, column=header.index("得分") + 1).value) == Decimal("1.00")
    assert ws.cell(row=row, column=header.index("复核调整说明") + 1).value == "佐证不足"


def test_print_page_has_the_form_and_print_css(client, db, county):
    projects, fin, _ = county
    p = projects["309001"][1]
    page = logged_in(client.app, fin).get(f"/projects/{p.id}/report")
    assert page.status_code == 200
    for text in ("项目支出绩效自评表", f"（{p.year}年度）", p.name, "年初预算数", "年度总体目标", "偏差原因分析及改进措施", "总分",
                 "data-print", "page.js", "reports.css"):  # fmt: skip
        assert text in page.text
    total = compute_project_score(session=db, project=p).total
    assert f">{total:,.2f}<" in page.text
    css = client.get("/static/reports.css").text
    assert "@page { size: A4 landscape" in css and "@media print" in css


def test_unit_workbook_has_a_summary_and_one_sheet_per_project(client, county):
    projects, _, h = county
    r = client.get("/api/v1/units/311/report.xlsx", params={"year": 2023}, headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 1 + len(projects["311001"])
    summary = wb["汇总"]
    header = [c.value for c in summary[2]]
    rows = list(summary.iter_rows(min_row=3, values_only=True))
    assert [row[header.index("项目名称")] for row in rows] == [p.name for p in projects["311001"]]
    link = summary.cell(row=3, column=header.index("工作表") + 1).hyperlink
    assert (
        link is not None and link.location == f"'{rows[0][header.index('工作表')]}'!A1"
    )  # jumps to the sheet
    for row in rows:
        sheet = wb[row[header.index("工作表")]]
        total = _find(sheet, "总分")
        col = [c.value for c in sheet[_find(sheet, "一级指标").row]].index("得分") + 1
        assert _d(sheet.cell(row=total.row, column=col).value) == _d(row[header.index("总分")])
    assert client.get("/api/v1/units/999/report.xlsx", headers=h).status_code == 404


def test_across_years_shows_the_project_side_by_side(client, county):
    projects, fin, _ = county
    p = projects["309001"][0]
    page = logged_in(client.app, fin).get(f"/projects/{p.id}/years")
    assert page.status_code == 200
    assert "2022年度" in page.text and "2023年度" in page.text
    assert page.text.count(f"/projects/{projects['2022'][0].id}/report") == 1
    lonely = logged_in(client.app, fin).get(f"/projects/{projects['310001'][0].id}/years")
    assert "暂无可对比的其他年度" in lonely.text


def test_overview_shows_progress_scores_charts_missed_indicators_and_warnings(client, db, county):
    projects, fin, h = county
    page = logged_in(client.app, fin).get("/finance", params={"year": 2023})
    assert page.status_code == 200
    text = page.text
    assert text.count("<svg") == 2 and "cdn" not in text.lower()
    scripts = re.findall(r"<script[^>]*>", text)
    # no inline script (CSP), only the app's own page.js
    assert [re.sub(r'src="[^"]*/static/', 'src="/static/', t) for t in scripts] == [
        '<script src="/static/page.js" defer>'
    ]
    for unit in ("门源县应急管理局", "门源县林业和草原局", "门源县教育局", "门源县卫生健康局"):
        assert unit in text
    summary = client.get(
        "/api/v1/summaries", params={"year": 2023, "group": "unit", "limit": 1000}, headers=h
    ).json()
    units = {u["unit_code"]: u for u in summary["units"]}
    assert f">{Decimal(units['311001']['average_total']):,.2f}<" in text
    assert "最常失分的指标" in text and "一致性提示" in text
    assert "预算执行率低于 80%" in text or "绩效得分率明显高于预算执行" in text
    # Progress follows the status machine: one more submission, one more under 已提交待审核.
    submitted = sum(u["statuses"]["submitted"] for u in units.values())
    assert _kpi(text, "已提交待审核") == submitted
    submit(db, projects["312001"][0])
    assert _kpi(logged_in(client.app, fin).get("/finance").text, "已提交待审核") == submitted + 1


def _kpi(html: str, label: str) -> int:
    match = re.search(rf'<div class="label">{label}</div><div class="value">(\d+)', html)
    assert match, label
    return int(match.group(1))


def test_the_project_page_links_to_the_exports(client, county):
    projects, fin, _ = county
    p = projects["309001"][0]
    page = logged_in(client.app, fin).get(f"/projects/{p.id}")
    for href in (
        f"/projects/{p.id}/report",
        f"/api/v1/projects/{p.id}/report.xlsx",
        f"/projects/{p.id}/years",
    ):
        assert f'href="{href}"' in page.text


def test_overview_counts_a_project_never_saved_scoring_it_live(client, db, county):
    projects, fin, _ = county
    p = projects["312001"][5]  # untouched draft: no snapshot
    fill_project(db, p, quality=1.0, rate=Decimal("0.5"), save=False)
    assert latest_snapshot(session=db, project_id=p.id) is None
    page = logged_in(client.app, fin).get("/finance", params={"year": 2023}).text
    assert f'<a href="/review/{p.id}">{p.name}</a>' in page and "预算执行率 50% 低于 80%" in page
