"""Admin pages of scoring policies: a form over the named settings, errors next to fields, input
kept, a new version on save, the policy of a year, a new policy; admin only; CSRF."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.accounts import security
from app.db.models import AuditLog, PolicyVersion, YearPolicy
from app.scoring.policies import ensure_default_policies, get_version
from app.scoring.web import FIELDS, form_data
from tests.accounts_support import csrf, logged_in, make_user


@pytest.fixture
def admin(app, db):
    ensure_default_policies(session=db)
    return logged_in(app, make_user(db, "root", "admin"))


def _field(page: str, key: str) -> str:
    """The HTML of the form field for settings key ``key`` (its input, error and hint)."""
    for chunk in page.split('<div class="field ')[1:]:
        if f'name="{key}"' in chunk:
            return chunk
    raise AssertionError(f"no field {key}")


def _form(db, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it in for the latest central_2020, with ``changes``."""
    data = form_data(get_version(session=db, name="central_2020").settings)
    data.update(changes)
    return data


def test_the_list_page_shows_policies_and_years(admin, db):
    page = admin.get("/admin/policies")
    assert page.status_code == 200
    text = page.text
    assert "评分规则" in text and "central_2020" in text and "第 1 版" in text
    assert "各年度使用的评分规则" in text and "新建评分规则" in text
    assert f'name="{security.CSRF_FIELD}"' in text
    assert 'href="/admin/policies"' in text  # the nav link for admins


def test_the_edit_page_is_a_form_over_every_named_setting(admin, db):
    page = admin.get("/admin/policies/central_2020")
    assert page.status_code == 200
    for key, field in FIELDS.items():
        chunk = _field(page.text, key)
        assert html.escape(field.label, quote=False) in chunk
    assert 'value="50"' in _field(page.text, "level1_weights.output")
    assert "selected>四舍五入" in _field(page.text, "rounding.mode")
    assert "checked" in _field(page.text, "budget_cap")
    assert "保存为第 2 版" in page.text and "初始版本" in page.text


def test_saving_makes_a_new_version_with_an_audit_row(admin, db):
    data = _form(
        db, **{"rounding.places": "0", "level1_weights.output": "45", "level1_weights.satisfaction": "15"}
    )
    data["note"] = "省口径"
    data["base_version"] = "1"
    data.pop("budget_cap")  # untick
    data[security.CSRF_FIELD] = csrf(admin)
    response = admin.post("/admin/policies/central_2020", data=data, follow_redirects=False)
    assert (
        response.status_code == 303 and response.headers["location"] == "/admin/policies/central_2020?saved=2"
    )
    row = get_version(session=db, name="central_2020")
    assert row.version == 2 and row.note == "省口径" and row.created_by == "root"
    assert row.settings["rounding"]["places"] == 0 and row.settings["budget_cap"] is False
    assert row.settings["level1_weights"]["output"] == "45"
    assert (
        row.settings["share_detection"]
        == get_version(session=db, name="central_2020", version=1).settings["share_detection"]
    )  # lists survive the round trip through the form
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "policy.update"))
    assert (
        audit.actor_name == "root"
        and audit.before["rounding.places"] == 2
        and audit.after["budget_cap"] is False
    )
    page = admin.get(response.headers["location"]).text
    assert "已保存为第 2 版" in page and "得分保留小数位数：2 → 0" in page and "省口径" in page


def test_errors_show_next_to_their_fields_and_the_input_is_kept(admin, db):
    data = _form(db, **{"overachieve_ratio": "一点三", "grades": "60/80/90", "level1_weights.budget": "20"})
    data["note"] = "试改"
    data[security.CSRF_FIELD] = csrf(admin)
    response = admin.post("/admin/policies/central_2020", data=data)
    assert response.status_code == 422
    page = response.text
    ratio = _field(page, "overachieve_ratio")
    assert 'value="一点三"' in ratio and 'class="invalid"' in ratio and "应为数字" in ratio
    grades = _field(page, "grades")
    assert 'value="60/80/90"' in grades and "100 ≥ 优 &gt; 良 &gt; 中 ≥ 0" in grades
    assert (
        "一级指标权重合计应为100，现为110"
        in page.split("<h2>一级指标权重</h2>")[1].split('<div class="field ')[0]
    )
    assert 'value="20"' in _field(page, "level1_weights.budget")
    assert 'aria-describedby="level1_weights-error"' in _field(page, "level1_weights.output")  # the group
    assert 'value="试改"' in page and "有 3 处设置需要修改" in page
    assert 'class="invalid"' not in _field(page, "rounding.places")
    assert db.scalar(select(PolicyVersion).where(PolicyVersion.version == 2)) is None


def test_a_stale_form_is_refused_with_a_message(admin, db):
    data = _form(db, **{"rounding.places": "1"})
    data["base_version"] = "1"
    data[security.CSRF_FIELD] = csrf(admin)
    assert admin.post("/admin/policies/central_2020", data=data, follow_redirects=False).status_code == 303
    data["rounding.places"] = "0"
    response = admin.post("/admin/policies/central_2020", data=data)
    assert response.status_code == 409 and "已由 root 保存为第 2 版" in response.text
    assert "selected>整数" in _field(response.text, "rounding.places")  # kept


def test_an_unchanged_form_makes_no_version(admin, db):
    data = _form(db)
    data[security.CSRF_FIELD] = csrf(admin)
    response = admin.post("/admin/policies/central_2020", data=data, follow_redirects=False)
    assert response.headers["location"] == "/admin/policies/central_2020?unchanged=1"
    assert get_version(session=db, name="central_2020").version == 1


def test_an_old_version_is_shown_read_only(admin, db):
    data = _form(db, **{"rounding.places": "1"})
    data[security.CSRF_FIELD] = csrf(admin)
    admin.post("/admin/policies/central_2020", data=data)
    page = admin.get("/admin/policies/central_2020?version=1").text
    assert (
        "历史版本" in page
        and "<fieldset disabled" in page
        and "selected>2 位" in _field(page, "rounding.places")
    )
    assert admin.get("/admin/policies/central_2020?version=9").status_code == 404
    assert admin.get("/admin/policies/nothing").status_code == 404


def test_setting_the_policy_of_a_year(admin, db):
    token = csrf(admin)
    response = admin.post(
        "/admin/policy-years",
        data={"year": "2023", "name": "central_2020", "version": "1", security.CSRF_FIELD: token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/policies?year_saved=2023"
    setting = db.get(YearPolicy, 2023)
    assert (setting.policy_name, setting.policy_version, setting.updated_by) == ("central_2020", 1, "root")
    page = admin.get(response.headers["location"]).text
    assert "已设置 2023 年度" in page and "固定第 1 版" in page
    bad = admin.post(
        "/admin/policy-years",
        data={"year": "二〇二三", "name": "central_2020", "version": "x", security.CSRF_FIELD: token},
    )
    assert bad.status_code == 422
    assert re.search(r'id="year-error">请填写四位数的年度', bad.text) and 'value="二〇二三"' in bad.text
    assert re.search(r'id="year-version-error">版本应为整数', bad.text)
    missing = admin.post(
        "/admin/policy-years",
        data={"year": "2024", "name": "central_2020", "version": "7", security.CSRF_FIELD: token},
    )
    assert missing.status_code == 422 and re.search(
        r'id="year-version-error">没有评分规则“central_2020”第 7 版', missing.text
    )


def test_creating_a_policy(admin, db):
    token = csrf(admin)
    response = admin.post(
        "/admin/policies",
        data={
            "name": "qinghai_2023",
            "based_on": "central_2020",
            "note": "青海口径",
            security.CSRF_FIELD: token,
        },
        follow_redirects=False,
    )
    assert (
        response.status_code == 303 and response.headers["location"] == "/admin/policies/qinghai_2023?saved=1"
    )
    assert get_version(session=db, name="qinghai_2023").note == "青海口径"
    bad = admin.post(
        "/admin/policies", data={"name": "青海", "based_on": "central_2020", security.CSRF_FIELD: token}
    )
    assert (
        bad.status_code == 422
        and 'id="new-name-error">规则名称应为' in bad.text
        and 'value="青海"' in bad.text
    )
    again = admin.post("/admin/policies", data={"name": "qinghai_2023", "based_on": "central_2020",
                                                security.CSRF_FIELD: token})  # fmt: skip
    assert again.status_code == 409 and "已存在" in again.text


def test_only_admins_and_only_with_the_csrf_token(app, db, admin):
    data = _form(db, **{"rounding.places": "0"})
    assert admin.post("/admin/policies/central_2020", data=data).status_code == 403  # no CSRF token
    for role in ("finance", "department"):
        client = logged_in(app, make_user(db, f"u_{role}", role, ("309",) if role == "department" else ()))
        assert client.get("/admin/policies").status_code == 403
        data[security.CSRF_FIELD] = csrf(client)
        assert client.post("/admin/policies/central_2020", data=data).status_code == 403
        assert 'href="/admin/policies"' not in client.get("/audit" if role == "finance" else "/login").text
    assert get_version(session=db, name="central_2020").version == 1
