"""Upload page for 绩效目标表: upload → dry-run preview → confirm or cancel.

End to end through the web app over a real database, logged in as finance or admin.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.models import (
    AuditLog,
    ImportBatch,
    Indicator,
    IndicatorActual,
    PendingUpload,
    Project,
    Unit,
)
from app.scoring.engine import points_warnings
from app.targets import upload
from tests.accounts_support import csrf, logged_in, make_user

FIXTURES = Path(__file__).parent / "fixtures"
GRID_CSV = (FIXTURES / "grid_same.csv").read_bytes()  # GBK: 2 units, 3 projects, 20 indicators
BUSINESS = (Unit, Project, Indicator, IndicatorActual, ImportBatch, AuditLog)


def changed_csv(*replacements: tuple[str, str]) -> bytes:
    """grid_same.csv with some cells changed (written back as UTF-8)."""
    text = GRID_CSV.decode("gb18030")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def counts(db) -> dict[str, int]:
    db.expire_all()
    return {m.__name__: db.scalar(select(func.count()).select_from(m)) for m in BUSINESS}


def indicator(db, name: str) -> Indicator:
    db.expire_all()
    return db.scalar(select(Indicator).where(Indicator.name == name))


@pytest.fixture
def finance(app, db):
    return logged_in(app, make_user(db, "fin1", "finance"))


@pytest.fixture
def admin(app, db):
    return logged_in(app, make_user(db, "admin1", "admin"))


def post_file(client, data: bytes, name: str = "目标表.csv", *, csrf_token=None, **form):
    fields = {"csrf_token": csrf(client) if csrf_token is None else csrf_token, **form}
    return client.post(
        "/imports", data=fields, files={"file": (name, data, "text/csv")}, follow_redirects=False
    )


def upload_file(client, data: bytes = GRID_CSV, name: str = "目标表.csv", **form) -> str:
    """Upload and return the preview's token."""
    response = post_file(client, data, name, **form)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/imports/([\w-]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def confirm_form(page_html: str) -> dict[str, str]:
    """The hidden fields of the preview's confirm form (what the clerk's browser would send)."""
    assert '/confirm"' in page_html, "the preview has no confirm button"
    form = page_html.split('/confirm"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def confirm(client, token: str, page_html: str, **override):
    """Post the preview's confirm form; ``page_html=""`` forges one from ``override``."""
    fields = {**(confirm_form(page_html) if page_html else {}), "csrf_token": csrf(client), **override}
    return client.post(f"/imports/{token}/confirm", data=fields, follow_redirects=False)


# ---------------------------------------------------------------- the happy path


def test_preview_then_confirm_lands_the_table(finance, db):
    before = counts(db)
    token = upload_file(finance)
    page = finance.get(f"/imports/{token}")
    assert page.status_code == 200
    html = page.text
    assert "高原县应急管理局2023年部门预算项目支出绩效目标公开表" in html
    for project in upload.parse_upload(GRID_CSV, filename="目标表.csv").projects:
        assert project.name in html
    assert "尚未保存" in html and "确认导入" in html
    assert counts(db) == before, "the preview wrote to the database"

    done = confirm(finance, token, html)
    assert done.status_code == 303, done.text
    after = counts(db)
    assert after["Unit"] == before["Unit"] + 2
    assert after["Project"] == before["Project"] + 3
    assert after["Indicator"] == before["Indicator"] + 20
    assert after["ImportBatch"] == before["ImportBatch"] + 1
    assert after["AuditLog"] == before["AuditLog"] + 1
    batch = db.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert done.headers["location"] == f"/imports/history?batch={batch.id}"
    assert (batch.outcome, batch.source_name, batch.sha256) == (
        "created",
        "目标表.csv",
        upload.sha256_of(GRID_CSV),
    )
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "targets.import"))
    assert audit.actor_name == "fin1" and audit.entity_id == str(batch.id)
    assert audit.after["outcome"] == "created" and audit.after["indicators"] == 20
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 0

    history = finance.get(done.headers["location"])
    assert history.status_code == 200
    assert f"#{batch.id}" in history.text and "已导入“目标表.csv”" in history.text
    assert "fin1" in history.text

    again = confirm(finance, token, html)
    assert again.status_code == 404, "a confirmed upload cannot be confirmed twice"
    assert counts(db) == after


def test_the_same_file_again_is_unchanged_and_says_so(admin, db):
    token = upload_file(admin)
    assert confirm(admin, token, admin.get(f"/imports/{token}").text).status_code == 303
    ids = set(db.scalars(select(Indicator.id)))

    token = upload_file(admin)
    page = admin.get(f"/imports/{token}")
    assert "确认后不会修改任何数据" in page.text
    assert confirm(admin, token, page.text).status_code == 303
    assert set(db.scalars(select(Indicator.id))) == ids
    assert db.scalar(select(ImportBatch).order_by(ImportBatch.id.desc())).outcome == "unchanged"


def test_cancelled_upload_leaves_the_database_unchanged(finance, db):
    before = counts(db)
    token = upload_file(finance)
    assert finance.get(f"/imports/{token}").status_code == 200
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 1
    cancelled = finance.post(
        f"/imports/{token}/cancel", data={"csrf_token": csrf(finance)}, follow_redirects=False
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/imports?cancelled=1"
    assert "已取消上传，未保存任何内容" in finance.get(cancelled.headers["location"]).text
    assert counts(db) == before
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 0
    assert finance.get(f"/imports/{token}").status_code == 404
    assert confirm(finance, token, "", sha256="x", fingerprint="y").status_code == 404
    assert counts(db) == before


def test_preview_of_an_update_shows_before_and_after_and_writes_nothing(finance, db):
    token = upload_file(finance)
    confirm(finance, token, finance.get(f"/imports/{token}").text)
    changed = changed_csv(
        ("企业安全检查,40次", "企业安全检查,45次"),
        (",,第三方专家咨询检查,≥4次\r\n", ""),
        ("防震减灾工作经费,资金总额(万元),2.50", "防震减灾工作经费,资金总额(万元),3"),
    )
    before = counts(db)

    token = upload_file(finance, changed, "目标表-修订.csv")
    page = finance.get(f"/imports/{token}")
    html = page.text
    assert page.status_code == 200
    assert "目标值修改（1 个指标）" in html
    assert "指标值：40次" in html and "指标值：45次" in html
    assert "删除指标 1 个" in html and "数量指标 / 第三方专家咨询检查：≥4次" in html
    assert '金额（万元）：<span class="old">2.50</span> → <span class="new">3.00</span>' in html
    assert counts(db) == before, "the preview wrote to the database"
    assert indicator(db, "企业安全检查").raw == "40次"
    assert indicator(db, "第三方专家咨询检查") is not None

    assert confirm(finance, token, html).status_code == 303
    assert indicator(db, "企业安全检查").raw == "45次"
    assert indicator(db, "第三方专家咨询检查") is None
    batch = db.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert batch.outcome == "updated"
    assert batch.counts["updated"] == {"indicators": 1, "projects": 1}
    assert batch.counts["removed"] == {"indicators": 1}


def test_warnings_and_unparsed_values_are_listed(admin, db):
    data = (FIXTURES / "grid_bureau_two_projects.xlsx").read_bytes()
    table = upload.parse_upload(data, filename="x.xlsx")
    unparsed = [i.target.raw for p in table.projects for i in p.indicators if i.target.kind == "unparsed"]
    warnings = [*table.warnings, *points_warnings(table)]  # the reader's, and the points under the policy
    assert unparsed and table.warnings and "level_weights_differ" in {w.code for w in warnings}
    token = upload_file(admin, data, "两个项目.xlsx")
    html = admin.get(f"/imports/{token}").text
    assert f"警告（{len(warnings)}）" in html
    assert f"未能识别的指标值（{len(unparsed)}）" in html
    for raw in unparsed:
        assert raw in html
    for w in warnings:
        assert w.message in html


# ---------------------------------------------------------------- targets changed where actuals exist


def test_targets_changed_where_actuals_exist_are_refused_unless_forced(finance, db):
    token = upload_file(finance)
    confirm(finance, token, finance.get(f"/imports/{token}").text)
    check = indicator(db, "企业安全检查")
    db.add(IndicatorActual(indicator_id=check.id, raw="42", value=Decimal("42")))
    db.flush()
    before = counts(db)

    token = upload_file(finance, changed_csv(("企业安全检查,40次", "企业安全检查,45次")))
    page = finance.get(f"/imports/{token}")
    html = page.text
    assert "不能按现状导入" in html and "已填报实际完成值" in html
    assert "企业安全检查" in html and "40次 → 45次" in html
    assert "已填报，保留" in html
    assert "确认导入" not in html and "强制更新目标值并重新预览" in html
    assert counts(db) == before

    # A confirmation sent anyway (with the forced plan's fingerprint) is refused, nothing saved.
    forced_plan = upload.preview_upload(
        session=db, pending=db.scalar(select(PendingUpload).where(PendingUpload.token == token))
    ).plan
    refused = confirm(
        finance, token, "", sha256=upload.sha256_of(changed_csv(("企业安全检查,40次", "企业安全检查,45次"))),
        fingerprint=forced_plan.fingerprint,
    )  # fmt: skip
    assert refused.status_code == 409
    assert "导入被拒绝" in refused.text
    assert counts(db) == before
    assert indicator(db, "企业安全检查").raw == "40次"

    forced = finance.post(
        f"/imports/{token}/options",
        data={"csrf_token": csrf(finance), "force_targets": "true"},
        follow_redirects=False,
    )
    assert forced.status_code == 303 and forced.headers["location"] == f"/imports/{token}"
    html = finance.get(f"/imports/{token}").text
    assert "已选择<strong>强制更新目标值</strong>" in html and "确认导入" in html
    assert counts(db) == before

    assert confirm(finance, token, html).status_code == 303
    check = indicator(db, "企业安全检查")
    assert check.raw == "45次" and check.value == Decimal("45")
    assert check.actual.value == Decimal("42"), "the actual survives a forced target change"
    audit = db.scalar(
        select(AuditLog).where(AuditLog.action == "targets.import").order_by(AuditLog.id.desc())
    )
    assert audit.after["force_targets"] is True and audit.after["target_changes"] == 1


def test_force_chosen_on_the_upload_form(finance, db):
    token = upload_file(finance)
    confirm(finance, token, finance.get(f"/imports/{token}").text)
    check = indicator(db, "企业安全检查")
    db.add(IndicatorActual(indicator_id=check.id, raw="42", value=Decimal("42")))
    db.flush()
    token = upload_file(
        finance, changed_csv(("企业安全检查,40次", "企业安全检查,45次")), force_targets="true"
    )
    html = finance.get(f"/imports/{token}").text
    assert "不能按现状导入" not in html and "确认导入" in html
    assert confirm(finance, token, html).status_code == 303
    assert indicator(db, "企业安全检查").raw == "45次"


def test_confirm_refuses_when_the_database_changed_after_the_preview(finance, db):
    token = upload_file(finance)
    confirm(finance, token, finance.get(f"/imports/{token}").text)
    token = upload_file(finance, changed_csv(("企业安全检查,40次", "企业安全检查,45次")))
    html = finance.get(f"/imports/{token}").text
    assert "确认导入" in html
    # Meanwhile the department enters an actual for the indicator whose target the file changes.
    db.add(IndicatorActual(indicator_id=indicator(db, "企业安全检查").id, raw="41", value=Decimal("41")))
    db.flush()
    before = counts(db)
    stale = confirm(finance, token, html)
    assert stale.status_code == 409
    assert "不能按现状导入" in stale.text
    assert counts(db) == before and indicator(db, "企业安全检查").raw == "40次"


def test_confirm_refuses_a_fingerprint_that_is_not_the_previews(finance, db):
    token = upload_file(finance)
    html = finance.get(f"/imports/{token}").text
    before = counts(db)
    stale = confirm(finance, token, html, fingerprint="0" * 64)
    assert stale.status_code == 409 and "数据已有变化" in stale.text
    assert counts(db) == before
    assert confirm(finance, token, html).status_code == 303


def test_confirm_rechecks_the_stored_bytes(finance, db):
    token = upload_file(finance)
    html = finance.get(f"/imports/{token}").text
    pending = db.scalar(select(PendingUpload).where(PendingUpload.token == token))
    pending.data = changed_csv(("企业安全检查,40次", "企业安全检查,45次"))
    db.flush()
    before = counts(db)
    tampered = confirm(finance, token, html)
    assert tampered.status_code == 409 and "校验值" in tampered.text
    assert counts(db) == before
    assert "确认导入" not in tampered.text


# ---------------------------------------------------------------- bad files, limits, access


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("空表.csv", b"", "文件是空的"),
        ("图片.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "二进制"),
        ("名单.csv", "姓名,年龄\n张三,30\n".encode(), "没有找到指标表头"),
        ("坏的.xlsx", b"PK\x03\x04not really a zip", "Excel 文件已损坏"),
    ],
)
def test_bad_files_show_the_reason_next_to_the_file_field(finance, db, name, data, message):
    before = counts(db)
    response = post_file(finance, data, name)
    assert response.status_code == 422
    error = response.text.split('id="file-error"', 1)[1].split("</span>", 1)[0]
    assert message in error
    assert counts(db) == before
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 0


def test_no_file_and_wrong_format_override(finance, db):
    none = finance.post("/imports", data={"csrf_token": csrf(finance)}, follow_redirects=False)
    assert none.status_code == 422 and "请选择要上传的文件" in none.text
    forced_wrong = post_file(finance, GRID_CSV, format="xlsx")
    assert forced_wrong.status_code == 422 and "不是 .xlsx 文件" in forced_wrong.text
    assert 'value="xlsx" selected' in forced_wrong.text, "the form keeps the chosen format"
    unknown = post_file(finance, GRID_CSV, format="pdf")
    assert unknown.status_code == 422 and 'id="format-error"' in unknown.text
    assert post_file(finance, GRID_CSV, "table.txt", format="csv").status_code == 303


def test_too_large_file_is_refused(finance, db, monkeypatch):
    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", len(GRID_CSV) - 1)
    response = post_file(finance, GRID_CSV)
    assert response.status_code == 422 and "文件过大" in response.text


def test_expired_upload_is_gone(finance, db):
    token = upload_file(finance)
    pending = db.scalar(select(PendingUpload).where(PendingUpload.token == token))
    pending.expires_at = upload.now_utc() - timedelta(seconds=1)
    db.flush()
    assert finance.get(f"/imports/{token}").status_code == 404
    upload_file(finance)  # a new upload clears expired ones
    assert db.scalar(select(func.count()).select_from(PendingUpload).where(PendingUpload.token == token)) == 0


def test_an_upload_belongs_to_its_uploader(app, db, finance):
    token = upload_file(finance)
    html = finance.get(f"/imports/{token}").text
    other = logged_in(app, make_user(db, "admin2", "admin"))
    before = counts(db)
    assert other.get(f"/imports/{token}").status_code == 404
    assert confirm(other, token, html).status_code == 404
    other.post(f"/imports/{token}/cancel", data={"csrf_token": csrf(other)})
    assert counts(db) == before
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 1
    assert "查看预览" in finance.get("/imports").text, "the uploader's unfinished uploads are listed"


def test_department_users_cannot_upload(app, db, finance):
    token = upload_file(finance)
    dept = logged_in(app, make_user(db, "dept1", "department", ("309",)))
    assert dept.get("/imports").status_code == 403
    assert post_file(dept, GRID_CSV).status_code == 403
    assert dept.get(f"/imports/{token}").status_code == 403
    assert dept.get("/imports/history").status_code == 403
    assert dept.post(f"/imports/{token}/confirm", data={"csrf_token": csrf(dept)}).status_code == 403
    assert "导入目标表" not in dept.get("/").text
    assert 'href="/imports"' in finance.get("/").text


def test_csrf_is_required(finance, db):
    before = counts(db)
    assert post_file(finance, GRID_CSV, csrf_token="").status_code == 403
    assert post_file(finance, GRID_CSV, csrf_token="forged").status_code == 403
    assert db.scalar(select(func.count()).select_from(PendingUpload)) == 0
    token = upload_file(finance)
    html = finance.get(f"/imports/{token}").text
    fields = confirm_form(html)
    fields.pop("csrf_token")
    no_token = finance.post(f"/imports/{token}/confirm", data=fields, follow_redirects=False)
    assert no_token.status_code == 403
    assert finance.post(f"/imports/{token}/cancel", follow_redirects=False).status_code == 403
    assert finance.post(f"/imports/{token}/options", data={"force_targets": "true"}).status_code == 403
    assert counts(db) == before
    pending = db.scalar(select(PendingUpload).where(PendingUpload.token == token))
    assert pending is not None and pending.force_targets is False


def test_history_lists_command_line_and_web_imports(finance, db):
    from app.targets.readers import read_table_bytes
    from app.targets.service import import_table

    table = read_table_bytes((FIXTURES / "grid_bureau_gbk.csv").read_bytes(), filename="gbk.csv")
    import_table(session=db, table=table, source_name="gbk.csv", sha256="a" * 64)
    token = upload_file(finance)
    confirm(finance, token, finance.get(f"/imports/{token}").text)
    html = finance.get("/imports/history").text
    assert "gbk.csv" in html and "目标表.csv" in html
    assert "命令行" in html and "fin1" in html
    assert f"警告 {len(table.warnings)} 条" in html
    assert html.index("目标表.csv") < html.index("gbk.csv"), "newest first"


def test_preview_writes_nothing_through_the_real_request_session(fresh_database_url):
    """Without the test's outer transaction: each request commits, the preview's SAVEPOINT does not."""
    from fastapi.testclient import TestClient

    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope
    from app.main import create_app
    from tests.accounts_support import login

    upgrade_to_head(fresh_database_url)
    with session_scope() as session:
        make_user(session, "fin9", "finance")

    def committed() -> dict[str, int]:
        with session_scope() as session:
            return counts(session)

    client = TestClient(create_app())
    assert login(client, "fin9").status_code == 303
    before = committed()
    token = upload_file(client)
    html = client.get(f"/imports/{token}").text
    client.get(f"/imports/{token}")  # a second look (another worker) sees the same stored file
    assert committed() == before
    assert confirm(client, token, html).status_code == 303
    after = committed()
    assert (after["Project"], after["Indicator"], after["ImportBatch"]) == (3, 20, 1)
    token = upload_file(client, changed_csv(("企业安全检查,40次", "企业安全检查,45次")))
    client.get(f"/imports/{token}")
    client.post(f"/imports/{token}/cancel", data={"csrf_token": csrf(client)})
    assert committed() == after
    with session_scope() as session:
        assert indicator(session, "企业安全检查").raw == "40次"
        assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0


def test_a_database_refusal_in_the_dry_run_is_shown_not_a_500(finance, db, monkeypatch):
    def clashing_import(*, session, **_):
        session.add_all([Unit(code="dup", name="甲"), Unit(code="dup", name="乙")])
        session.flush()

    token = upload_file(finance)
    html = finance.get(f"/imports/{token}").text
    monkeypatch.setattr(upload, "import_table", clashing_import)
    before = counts(db)
    refused = confirm(finance, token, html)
    assert refused.status_code == 409 and upload.DB_REFUSED in refused.text
    assert counts(db) == before
    page = finance.get(f"/imports/{token}")
    assert page.status_code == 200
    assert upload.DB_REFUSED in page.text and "确认导入" not in page.text
    assert counts(db) == before
    assert finance.get("/imports").status_code == 200, "the session is still usable"


def test_file_names_are_shown_as_text(finance, db):
    token = upload_file(finance, GRID_CSV, "C:\\表格\\<i>目标表.csv")
    html = finance.get(f"/imports/{token}").text
    assert "&lt;i&gt;目标表.csv" in html and "<i>目标表" not in html
    assert "C:" not in html, "only the base name of the uploaded path is kept"
