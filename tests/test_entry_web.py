"""The department pages: home, the 自评表 form (save, errors kept, stale version, submit)."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape as html_unescape

import pytest

from app.accounts import security
from app.submissions.status import change_status
from tests.accounts_support import csrf, logged_in
from tests.entry_support import RETIREES, complete_body, full_marks, indicators, make_entry_world


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.fixture
def clerk(app, world):
    return logged_in(app, world.dept)


def _form(client, project, **fields) -> dict[str, str]:
    """The form as the page renders it (every input with its value), then ``fields`` typed in."""
    page = client.get(f"/entry/projects/{project.id}")
    assert page.status_code == 200, page.text
    data = _form_of_page(client, page.text)
    data.update({k: str(v) for k, v in fields.items()})
    return data


def _form_of_page(client, html: str) -> dict[str, str]:
    """The form of a rendered page as its default button posts it (checked radios and boxes)."""
    data: dict[str, str] = {security.CSRF_FIELD: csrf(client)}
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name[1] in (security.CSRF_FIELD, "action") or tag.startswith("<select"):
            continue
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if re.search(r"\schecked\b", tag):
                data[name[1]] = re.search(r'value="([^"]*)"', tag)[1]
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name[1]] = html_unescape(value[1]) if value else ""
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        data[m[1]] = html_unescape(m[2])
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]* selected>', m[2])
        data[m[1]] = chosen[1] if chosen else ""
    return data


def _complete_fields(project) -> dict[str, str]:
    body = complete_body(project)
    fields = {
        "full_year_wan": body["budget"]["full_year_wan"],
        "executed_wan": body["budget"]["executed_wan"],
        "goal_actual": body["goal_actual"],
    }
    for ind in indicators(project):
        actual = full_marks(ind)
        if isinstance(actual, dict) and "grade" in actual:
            fields[f"g-{ind.id}"] = "achieved"
        elif isinstance(actual, dict) and "date" in actual:
            fields[f"d-{ind.id}"] = actual["date"]
        elif isinstance(actual, dict):
            fields[f"b-{ind.id}"], fields[f"a-{ind.id}"] = actual["baseline"], actual["value"]
        else:
            fields[f"a-{ind.id}"] = actual
    return fields


def test_home_lists_the_units_projects_with_status_progress_and_score(db, clerk, world):
    project = world.project()
    people = indicators(project)[0]
    r = clerk.post(
        f"/entry/projects/{project.id}",
        data=_form(clerk, project, **{f"a-{people.id}": "3"}),
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = clerk.get("/entry")
    assert page.status_code == 200
    text = page.text
    assert "2023年度 项目支出绩效自评填报" in text
    assert text.count("/entry/projects/") >= 8
    assert "草原生态保护补助" not in text  # another unit's project
    row = re.search(rf"{RETIREES}</a>.*?</tr>", text, re.S)[0]
    assert "填报中" in row and "1 / 7" in row and "已得 12.50" in row
    assert "未填报 7" in re.sub(r"<[^>]+>", "", text)
    assert "/entry/workbook.xlsx?year=2023&amp;unit=309001" in text


def test_finance_sees_every_unit_read_only(app, world):
    client = logged_in(app, world.finance)
    home = client.get("/entry").text
    assert RETIREES in home and "草原生态保护补助" in home and "只读" in home
    form = client.get(f"/entry/projects/{world.project().id}").text
    assert "保存草稿" not in form and "disabled" in form
    assert (
        client.post(
            f"/entry/projects/{world.project().id}", data={security.CSRF_FIELD: csrf(client)}
        ).status_code
        == 403
    )


def test_the_form_is_laid_out_like_the_self_evaluation_table(clerk, world):
    project = world.project()
    page = clerk.get(f"/entry/projects/{project.id}").text
    for label in ("项目支出绩效自评表", "年初预算数", "全年预算数", "全年执行数", "执行率", "年度总体目标",
                  "实际完成情况", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                  "偏差原因分析及改进措施", "不适用", "产出指标", "满意度指标"):  # fmt: skip
        assert label in page, label
    inds = indicators(project)
    assert f'id="a-{inds[0].id}"' in page and '<span class="unit">人</span>' in page
    qualitative = next(i for i in inds if i.direction == "qualitative")
    assert f'<select id="g-{qualitative.id}"' in page and "部分达成年度指标并具有一定效果" in page
    assert f'id="s-{qualitative.id}"' in page
    assert f'name="version" value="{project.version}"' in page
    assert page.index("≥3人") < page.index("≥100%") < page.index("健全")  # table order


def test_bad_number_is_shown_next_to_its_field_and_valid_fields_are_saved(db, clerk, world):
    project = world.project()
    people, share = indicators(project)[:2]
    data = _form(
        clerk, project, **{f"a-{people.id}": "三个人", f"a-{share.id}": "100", "executed_wan": "0.09"}
    )
    r = clerk.post(f"/entry/projects/{project.id}", data=data)
    assert r.status_code == 422
    page = r.text
    assert 'value="三个人"' in page  # the input is kept
    field = re.search(rf'<input[^>]*id="a-{people.id}"[^>]*>', page)[0]
    assert "invalid" in field and f'aria-describedby="err-a-{people.id}"' in field
    error = re.search(rf'<span class="field-error" id="err-a-{people.id}">([^<]+)</span>', page)[1]
    assert "应填写数字（单位：人）" in error and "三个人" in error
    assert f'href="#a-{people.id}"' in page  # the summary links to the field
    assert "其余内容已保存" in page
    db.refresh(project)
    assert project.version == 2
    assert people.actual is None and share.actual.value == 100 and project.executed_wan == Decimal("0.09")
    assert 'name="version" value="2"' in page

    data = _form(clerk, project, **{f"a-{people.id}": "3"})
    r = clerk.post(f"/entry/projects/{project.id}", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=1")
    page = clerk.get(r.headers["location"]).text
    assert "已保存（第 3 版）" in page
    assert re.search(rf'id="ind-{people.id}".*?<strong class="score">12.50</strong>', page, re.S)


def test_stale_form_shows_only_what_both_tabs_changed_and_saves_the_merge(db, clerk, world, app):
    project = world.project()
    people, share = indicators(project)[:2]
    stale = _form(clerk, project, **{f"a-{people.id}": "2", "goal_actual": "我写的"})
    other = logged_in(app, world.dept)
    saved = other.post(
        f"/entry/projects/{project.id}",
        data=_form(
            other, project, **{f"a-{people.id}": "3", "executed_wan": "0.09", f"r-{share.id}": "他写的"}
        ),
        follow_redirects=False,
    )
    assert saved.status_code == 303

    r = clerk.post(f"/entry/projects/{project.id}", data=stale)
    assert r.status_code == 409
    page = r.text
    assert "已被修改" in page and "第 1 版" in page and "第 2 版" in page
    panel = re.search(r'<div class="alert err conflict-panel".*?</div>', page, re.S)[0]
    assert re.findall(r'href="#([^"]+)"', panel) == [f"a-{people.id}"]  # the one field both changed
    assert ">3<" in panel and ">2<" in panel and "（空）" not in panel
    assert "当前已保存：3" in page  # beside the field
    assert 'value="2"' in page and "我写的" in page  # this tab's changes, kept on the page
    assert 'value="0.09"' in page and ">他写的</textarea>" in page  # the other tab's, shown as saved
    assert 'name="version" value="2"' in page
    db.refresh(project)
    assert people.actual.raw == "3" and project.goal_actual is None  # nothing written yet

    # The default button saves the merge: yours where both changed, everything else kept.
    merged = _form_of_page(clerk, page)
    r = clerk.post(f"/entry/projects/{project.id}", data=merged, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    db.expire_all()
    assert people.actual.raw == "2" and project.goal_actual == "我写的"
    assert project.executed_wan == Decimal("0.09") and share.actual.reason == "他写的"
    assert project.version == 3


def test_a_clash_resolved_as_stored_keeps_the_other_tabs_value(db, clerk, world, app):
    project = world.project()
    people = indicators(project)[0]
    stale = _form(clerk, project, **{f"a-{people.id}": "2", "goal_actual": "我写的"})
    other = logged_in(app, world.dept)
    other.post(f"/entry/projects/{project.id}", data=_form(other, project, **{f"a-{people.id}": "3"}))
    page = clerk.post(f"/entry/projects/{project.id}", data=stale).text
    data = _form_of_page(clerk, page)
    data[f"keep-a-{people.id}"] = "stored"
    r = clerk.post(f"/entry/projects/{project.id}", data=data, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert people.actual.raw == "3" and project.goal_actual == "我写的"


def test_two_tab_conflict_keeps_the_other_tabs_saved_fields(db, clerk, world, app):
    """Regression: after a two-tab conflict the page showed the other tab's saved fields as （空）,
    and saving again as advised wiped them. Disjoint changes now merge and save at once."""
    project = world.project()
    people, share = indicators(project)[:2]
    mine = _form(clerk, project, **{f"a-{people.id}": "3"})
    other = logged_in(app, world.dept)
    r = other.post(
        f"/entry/projects/{project.id}",
        data=_form(
            other, project, **{"executed_wan": "0.09", f"a-{share.id}": "100", f"r-{share.id}": "他写的"}
        ),
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = clerk.post(f"/entry/projects/{project.id}", data=mine, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    assert r.headers["location"].endswith("?saved=1&kept=3")
    page = clerk.get(r.headers["location"]).text
    assert "（空）" not in page and "3 处修改均已保留" in page
    db.expire_all()
    assert people.actual.value == 3 and project.version == 3
    assert project.executed_wan == Decimal("0.09") and share.actual.value == 100
    assert share.actual.reason == "他写的"


def test_a_form_without_the_loaded_values_lists_every_difference(db, clerk, world, app):
    """A page older than the merge (no ``loaded`` field) cannot tell who changed what: every
    difference is shown to choose, nothing is written."""
    project = world.project()
    people = indicators(project)[0]
    stale = _form(clerk, project, **{"goal_actual": "我写的"})
    del stale["loaded"]
    other = logged_in(app, world.dept)
    other.post(f"/entry/projects/{project.id}", data=_form(other, project, **{f"a-{people.id}": "3"}))
    r = clerk.post(f"/entry/projects/{project.id}", data=stale)
    assert r.status_code == 409
    panel = re.search(r'<div class="alert err conflict-panel".*?</div>', r.text, re.S)[0]
    assert set(re.findall(r'href="#([^"]+)"', panel)) == {"goal_actual", f"a-{people.id}"}
    db.refresh(project)
    assert project.goal_actual is None


def test_the_api_keeps_its_plain_409(db, world, app):
    from tests.entry_support import api_client

    project = world.project()
    people = indicators(project)[0]
    client = api_client(app, db, world.dept)
    body = {"version": 1, "actuals": [{"indicator_id": people.id, "actual": 3}]}
    assert client.put(f"/api/v1/projects/{project.id}/actuals", json=body).status_code == 200
    body = {"version": 1, "goal_actual": "我写的"}
    r = client.put(f"/api/v1/projects/{project.id}/actuals", json=body)
    assert r.status_code == 409 and r.json()["detail"][0]["code"] == "stale_version"
    db.refresh(project)
    assert project.goal_actual is None


def test_submit_lists_what_is_missing_with_links_then_submits(db, clerk, world):
    project = world.project()
    people = indicators(project)[0]
    r = clerk.post(
        f"/entry/projects/{project.id}/submit", data=_form(clerk, project, **{f"a-{people.id}": "2"})
    )
    assert r.status_code == 422
    page = r.text
    panel = re.search(r'<div class="alert err missing-panel".*?</div>', page, re.S)[0]
    anchors = re.findall(r'href="#([^"]+)"', panel)
    assert "full_year_wan" in anchors and "goal_actual" in anchors and f"r-{people.id}" in anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor  # every item links to its field
    db.refresh(project)
    assert project.status == "draft" and people.actual.value == 2  # saved, not submitted

    data = _form(clerk, project, **_complete_fields(project))
    r = clerk.post(f"/entry/projects/{project.id}/submit", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    page = clerk.get(r.headers["location"]).text
    assert "已提交，等待财政局审核" in page and "保存草稿" not in page
    assert '<strong class="total">100.00</strong>' in page
    db.refresh(project)
    assert project.status == "submitted"
    r = clerk.post(f"/entry/projects/{project.id}", data=data)
    assert r.status_code == 409 and "不能修改" in r.text


def test_returned_project_shows_the_comment_and_resubmits(db, clerk, world):
    project = world.project()
    data = _form(clerk, project, **_complete_fields(project))
    assert clerk.post(f"/entry/projects/{project.id}/submit", data=data).status_code == 200
    db.refresh(project)
    change_status(session=db, project=project, to="returned", actor=world.finance, comment="出勤率请附考勤表")
    db.flush()
    home = clerk.get("/entry").text
    assert "已退回" in home and "出勤率请附考勤表" in home
    page = clerk.get(f"/entry/projects/{project.id}").text
    assert "财政局退回意见" in page and "出勤率请附考勤表" in page and "保存并提交" in page
    r = clerk.post(f"/entry/projects/{project.id}/submit", data=_form(clerk, project), follow_redirects=False)
    assert r.status_code == 303
    db.refresh(project)
    assert project.status == "submitted"


def test_other_units_project_is_not_found(app, world):
    other = logged_in(app, world.other_dept)
    project = world.project()
    assert other.get(f"/entry/projects/{project.id}").status_code == 404
    r = other.post(f"/entry/projects/{project.id}", data={security.CSRF_FIELD: csrf(other), "version": "1"})
    assert r.status_code == 404
    assert RETIREES not in other.get("/entry").text


def test_not_applicable_needs_a_reason_before_submission(db, clerk, world):
    project = world.project()
    fields = _complete_fields(project)
    attendance = indicators(project)[4]
    fields[f"na-{attendance.id}"] = "1"
    r = clerk.post(f"/entry/projects/{project.id}/submit", data=_form(clerk, project, **fields))
    assert r.status_code == 422
    assert f'href="#nr-{attendance.id}"' in r.text and "不适用时须说明理由" in r.text
    fields[f"nr-{attendance.id}"] = "本年度未考核出勤率"
    r = clerk.post(
        f"/entry/projects/{project.id}/submit", data=_form(clerk, project, **fields), follow_redirects=False
    )
    assert r.status_code == 303
    db.refresh(project)
    assert project.status == "submitted" and attendance.actual.not_applicable


def test_preview_scores_what_is_typed_without_saving(db, clerk, world):
    project = world.project()
    people, share = indicators(project)[:2]
    fields = {f"a-{people.id}": "3", f"a-{share.id}": "96", f"s-{people.id}": "", "full_year_wan": "0.09"}
    fields["executed_wan"] = "0.08"
    r = clerk.post(f"/entry/projects/{project.id}/preview", data=_form(clerk, project, **fields))
    assert r.status_code == 200
    data = r.json()
    assert data["indicators"][str(people.id)]["score"] == "12.50"
    assert data["indicators"][str(share.id)] == {
        "score": "12.00",
        "points": "12.50",
        "lost": True,
        "explanation": data["indicators"][str(share.id)]["explanation"],
        "reason_required": True,
    }
    assert "96" in data["indicators"][str(share.id)]["explanation"]
    assert data["budget"] == {"rate": "88.89%", "score": "8.89", "reason_required": True}
    assert data["total"] is None and data["provisional"] == "33.39"
    bad = clerk.post(
        f"/entry/projects/{project.id}/preview", data=_form(clerk, project, **{f"a-{people.id}": "三人"})
    ).json()
    assert list(bad["errors"]) == [f"a-{people.id}"] and bad["indicators"][str(people.id)]["score"] is None
    db.refresh(project)
    assert project.version == 1 and people.actual is None and project.executed_wan is None
