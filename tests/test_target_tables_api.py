"""API for 绩效目标表: upload → dry-run preview → confirm with the fingerprint (finance, admin).

Like the upload page's tests (test_upload_flow.py), over real HTTP and a real database, with
bearer tokens as the province's systems send them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts import security
from app.accounts import service as accounts
from app.db.models import AuditLog, ImportBatch, IndicatorActual, PendingUpload, Project
from app.scoring.engine import points_warnings
from app.targets import upload
from tests.accounts_support import csrf, logged_in, make_user
from tests.test_upload_flow import GRID_CSV, changed_csv, counts, indicator

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/target-tables"
CHANGED = (("企业安全检查,40次", "企业安全检查,45次"),)


class Api:
    """A client sending one user's bearer token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def upload(self, data: bytes = GRID_CSV, name: str = "目标表.csv", **form):
        files = {"file": (name, data, "text/csv")}
        return self.client.post(URL, files=files, data=form, headers=self.headers)

    def preview(self, upload_id: str):
        return self.client.get(f"{URL}/{upload_id}", headers=self.headers)

    def confirm(self, upload_id: str, **body):
        return self.client.post(f"{URL}/{upload_id}/confirm", json=body, headers=self.headers)

    def cancel(self, upload_id: str):
        return self.client.delete(f"{URL}/{upload_id}", headers=self.headers)

    def uploaded(self, data: bytes = GRID_CSV, name: str = "目标表.csv", **form) -> dict:
        response = self.upload(data, name, **form)
        assert response.status_code == 201, response.text
        return response.json()

    def imported(self, data: bytes = GRID_CSV, name: str = "目标表.csv", **form) -> dict:
        preview = self.uploaded(data, name, **form)
        response = self.confirm(preview["upload_id"], fingerprint=preview["fingerprint"])
        assert response.status_code == 200, response.text
        return response.json()


def api_for(app, db, username: str, role: str, scope: str = "write", units: tuple[str, ...] = ()) -> Api:
    user = make_user(db, username, role, units)
    token = accounts.create_token(session=db, actor="test", user=user, scope=scope)
    return Api(TestClient(app), token.plaintext)


@pytest.fixture
def finance(app, db) -> Api:
    return api_for(app, db, "fin1", "finance")


def pending_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(PendingUpload))


def detail(response) -> list[dict]:
    return response.json()["detail"]


# ---------------------------------------------------------------- preview and confirm


def test_preview_then_confirm_imports_the_table(finance, db):
    before = counts(db)
    response = finance.upload()
    assert response.status_code == 201, response.text
    preview = response.json()
    assert counts(db) == before, "the preview wrote to the database"
    assert pending_count(db) == 1
    assert preview["sha256"] == upload.sha256_of(GRID_CSV) and len(preview["fingerprint"]) == 64
    assert preview["confirm_url"] == f"{URL}/{preview['upload_id']}/confirm"
    assert (preview["filename"], preview["format"], preview["detected_format"]) == (
        "目标表.csv",
        "auto",
        "csv",
    )
    assert preview["size"] == len(GRID_CSV) and preview["force_targets"] is False
    assert preview["table"] == {
        "title": "高原县应急管理局2023年部门预算项目支出绩效目标公开表",
        "year": 2023,
        "total_wan": preview["table"]["total_wan"],
        "units": 2,
        "projects": 3,
        "indicators": 20,
    }
    assert preview["outcome"] == "created"
    assert preview["created"] == {"units": 2, "projects": 3, "indicators": 20}
    assert preview["updated"] == preview["removed"] == {"units": 0, "projects": 0, "indicators": 0}
    assert {(u["code"], u["action"]) for u in preview["units"]} == {("409", "create"), ("409001", "create")}
    table = upload.parse_upload(GRID_CSV, filename="目标表.csv")
    assert [p["name"] for p in preview["projects"]] == [p.name for p in table.projects]
    first = preview["projects"][0]
    assert first["action"] == "create" and first["amount_wan"] == "30.00"
    assert first["indicator_count"] == len(first["indicators_created"]) == len(table.projects[0].indicators)
    assert {
        "level2": "数量指标",
        "name": "企业安全检查",
        "occurrence": 1,
        "target": "40次",
        "points": None,
    } in (first["indicators_created"])
    assert preview["target_changes"] == [] and preview["kept"] == []

    done = finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"], sha256=preview["sha256"])
    assert done.status_code == 200, done.text
    batch = db.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    body = done.json()
    assert body["batch_id"] == batch.id and body["outcome"] == "created"
    assert (body["source_name"], body["sha256"], body["year"]) == ("目标表.csv", preview["sha256"], 2023)
    assert body["created"] == {"units": 2, "projects": 3, "indicators": 20}
    after = counts(db)
    assert after["Project"] == before["Project"] + 3 and after["Indicator"] == before["Indicator"] + 20
    assert after["ImportBatch"] == before["ImportBatch"] + 1 and after["AuditLog"] == before["AuditLog"] + 1
    assert set(db.scalars(select(Project.name))) >= {p.name for p in table.projects}
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "targets.import"))
    assert (audit.actor_name, audit.entity, audit.entity_id) == ("fin1", "import", str(batch.id))
    assert audit.after["outcome"] == "created" and audit.after["indicators"] == 20
    assert audit.after["file"] == "目标表.csv" and audit.after["force_targets"] is False
    assert audit.address == "testclient"
    assert pending_count(db) == 0

    again = finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"])
    assert again.status_code == 404 and detail(again)[0]["code"] == "upload_not_found"
    assert detail(again)[0]["loc"] == ["upload_id"]
    assert counts(db) == after


def test_the_same_table_again_is_unchanged(finance, db):
    finance.imported()
    preview = finance.uploaded()
    assert preview["outcome"] == "unchanged"
    assert preview["created"] == {"units": 0, "projects": 0, "indicators": 0}
    assert all(p["action"] == "same" and not p["touched"] for p in preview["projects"])
    assert (
        finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).json()["outcome"]
        == "unchanged"
    )


def test_preview_of_an_update_shows_every_target_before_and_after(finance, db):
    finance.imported()
    changed = changed_csv(
        *CHANGED,
        (",,第三方专家咨询检查,≥4次\r\n", ""),
        ("防震减灾工作经费,资金总额(万元),2.50", "防震减灾工作经费,资金总额(万元),3"),
    )
    before = counts(db)
    preview = finance.uploaded(changed, "目标表-修订.csv")
    assert counts(db) == before
    assert preview["outcome"] == "updated"
    assert preview["updated"] == {"units": 0, "projects": 1, "indicators": 1}
    assert preview["removed"] == {"units": 0, "projects": 0, "indicators": 1}
    (change,) = preview["target_changes"]
    assert (change["project"], change["level2"], change["indicator"]) == (
        "安全生产监管专项",
        "数量指标",
        "企业安全检查",
    )
    assert change["before"]["raw"] == "40次" and change["after"]["raw"] == "45次"
    assert change["before"]["value"] == "40" and change["after"]["value"] == "45"
    assert change["actual_kept"] is False
    safety, quake = preview["projects"][0], preview["projects"][1]
    assert safety["targets_changed"] == 1 and safety["touched"] and safety["action"] == "same"
    assert [(r["level2"], r["name"], r["target"]) for r in safety["indicators_removed"]] == [
        ("数量指标", "第三方专家咨询检查", "≥4次")
    ]
    assert quake["action"] == "update"
    assert quake["fields"] == [
        {"field": "amount_wan", "label": "金额（万元）", "before": "2.5", "after": "3"}
    ]
    assert indicator(db, "企业安全检查").raw == "40次"

    assert finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).status_code == 200
    assert indicator(db, "企业安全检查").raw == "45次"
    assert indicator(db, "第三方专家咨询检查") is None


def test_warnings_and_unparsed_values_are_listed(finance, db):
    data = (FIXTURES / "grid_bureau_two_projects.xlsx").read_bytes()
    table = upload.parse_upload(data, filename="x.xlsx")
    unparsed = [i.target.raw for p in table.projects for i in p.indicators if i.target.kind == "unparsed"]
    warnings = [*table.warnings, *points_warnings(table)]
    assert unparsed and "level_weights_differ" in {w.code for w in warnings}
    preview = finance.uploaded(data, "两个项目.xlsx")
    assert preview["detected_format"] == "xlsx"
    assert [u["raw"] for u in preview["unparsed"]] == unparsed
    assert [(w["code"], w["message"]) for w in preview["warnings"]] == [(w.code, w.message) for w in warnings]
    names = {p.seq: p.name for p in table.projects}
    for w in preview["warnings"]:
        assert w["project"] == (names[w["project_seq"]] if w["project_seq"] is not None else None)


# ---------------------------------------------------------------- the data changed, fingerprints


def test_a_fingerprint_that_is_not_the_previews_is_409(finance, db):
    preview = finance.uploaded()
    before = counts(db)
    stale = finance.confirm(preview["upload_id"], fingerprint="0" * 64)
    assert stale.status_code == 409
    assert detail(stale)[0]["loc"] == ["fingerprint"] and detail(stale)[0]["code"] == "fingerprint_mismatch"
    assert "数据已有变化" in detail(stale)[0]["msg"]
    assert counts(db) == before and pending_count(db) == 1
    wrong_file = finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"], sha256="a" * 64)
    assert wrong_file.status_code == 409 and detail(wrong_file)[0]["loc"] == ["sha256"]
    assert counts(db) == before
    assert finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).status_code == 200


def test_confirm_is_409_when_the_data_changed_after_the_preview(finance, db):
    finance.imported()
    preview = finance.uploaded(changed_csv(*CHANGED))
    assert preview["target_changes"][0]["after"]["raw"] == "45次"
    # Meanwhile the department enters an actual for the indicator whose target the file changes.
    db.add(IndicatorActual(indicator_id=indicator(db, "企业安全检查").id, raw="41", value=Decimal("41")))
    db.flush()
    before = counts(db)
    stale = finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"])
    assert stale.status_code == 409, stale.text
    items = detail(stale)
    assert {i["code"] for i in items} == {"targets_have_actuals"}
    assert "导入被拒绝" in items[0]["msg"] and any("企业安全检查" in i["msg"] for i in items[1:])
    assert counts(db) == before and indicator(db, "企业安全检查").raw == "40次"
    again = finance.preview(preview["upload_id"])
    assert again.status_code == 409 and detail(again)[0]["loc"] == ["force_targets"]


def test_a_change_elsewhere_gives_a_new_fingerprint_to_confirm_with(finance, db):
    finance.imported()
    preview = finance.uploaded(changed_csv(*CHANGED))
    indicator(db, "企业安全检查").raw = "42次"  # someone re-imported another version meanwhile
    db.flush()
    stale = finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"])
    assert stale.status_code == 409 and detail(stale)[0]["code"] == "fingerprint_mismatch"
    fresh = finance.preview(preview["upload_id"]).json()
    assert fresh["fingerprint"] != preview["fingerprint"]
    assert fresh["target_changes"][0]["before"]["raw"] == "42次"
    assert finance.confirm(preview["upload_id"], fingerprint=fresh["fingerprint"]).status_code == 200
    assert indicator(db, "企业安全检查").raw == "45次"


def test_targets_with_actuals_are_refused_at_upload_unless_forced(finance, db):
    finance.imported()
    db.add(IndicatorActual(indicator_id=indicator(db, "企业安全检查").id, raw="42", value=Decimal("42")))
    db.flush()
    before = counts(db)
    refused = finance.upload(changed_csv(*CHANGED))
    assert refused.status_code == 409, refused.text
    items = detail(refused)
    assert all(i["loc"] == ["force_targets"] and i["code"] == "targets_have_actuals" for i in items)
    assert "force_targets=true" in items[0]["msg"]
    assert any("企业安全检查" in i["msg"] and "40次 → 45次" in i["msg"] for i in items)
    assert counts(db) == before and pending_count(db) == 0, "a refused file is not kept"

    forced = finance.uploaded(changed_csv(*CHANGED), force_targets="true")
    assert forced["force_targets"] is True
    assert forced["target_changes"][0]["actual_kept"] is True
    assert counts(db) == before
    assert finance.confirm(forced["upload_id"], fingerprint=forced["fingerprint"]).status_code == 200
    check = indicator(db, "企业安全检查")
    assert check.raw == "45次" and check.actual.value == Decimal("42")
    audit = db.scalar(
        select(AuditLog).where(AuditLog.action == "targets.import").order_by(AuditLog.id.desc())
    )
    assert audit.after["force_targets"] is True and audit.after["target_changes"] == 1


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "data", "code", "message"),
    [
        ("空表.csv", b"", "empty_file", "文件是空的"),
        ("图片.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "unreadable_file", "二进制"),
        ("名单.csv", "姓名,年龄\n张三,30\n".encode(), "unreadable_file", "没有找到指标表头"),
        ("坏的.xlsx", b"PK\x03\x04not really a zip", "unreadable_file", "Excel 文件已损坏"),
        ("无年度.csv", changed_csv(("高原县应急管理局2023年部门预算", "高原县应急管理局部门预算")), "import_refused",
         "无法确定预算年度"),
    ],
)  # fmt: skip
def test_bad_files_are_422_with_loc_file(finance, db, name, data, code, message):
    before = counts(db)
    response = finance.upload(data, name)
    assert response.status_code == 422, response.text
    (item,) = detail(response)
    assert item["loc"] == ["file"] and item["code"] == code and message in item["msg"]
    assert counts(db) == before and pending_count(db) == 0


def test_no_file_wrong_format_and_too_large(finance, db, monkeypatch):
    missing = finance.client.post(URL, data={"format": "csv"}, headers=finance.headers)
    assert missing.status_code == 422 and detail(missing)[0]["loc"] == ["body", "file"]
    unknown = finance.upload(format="pdf")
    assert unknown.status_code == 422 and detail(unknown)[0]["loc"] == ["body", "format"]
    wrong = finance.upload(format="xlsx")
    assert wrong.status_code == 422 and "不是 .xlsx 文件" in detail(wrong)[0]["msg"]
    assert finance.upload(name="table.txt", format="csv").status_code == 201
    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", len(GRID_CSV) - 1)
    large = finance.upload()
    assert large.status_code == 422 and detail(large)[0]["code"] == "too_large"
    assert detail(large)[0]["loc"] == ["file"]
    assert pending_count(db) == 1


def test_only_the_printable_base_name_is_kept(finance, db):
    assert finance.uploaded(name="C:\\表格\\目标表.csv")["filename"] == "目标表.csv"
    # A NUL byte reaches the service only from a raw client (httpx escapes it); PostgreSQL refuses it.
    assert upload.clean_filename("目标\x00表\x1f\u200b.csv") == "目标表.csv"
    assert upload.clean_filename("年度　目标表.csv") == "年度　目标表.csv", "an ideographic space stays"
    assert upload.clean_filename("") == "上传的文件"


# ---------------------------------------------------------------- who may, whose upload


def test_refusals_by_token_and_role(app, db, finance):
    preview = finance.uploaded()
    upload_id, fingerprint = preview["upload_id"], preview["fingerprint"]
    anonymous = TestClient(app)
    read_only = api_for(app, db, "fin-read", "finance", scope="read")
    department = api_for(app, db, "dept1", "department", units=("409",))
    before = counts(db)
    for method, path, kw in (
        ("POST", URL, {"files": {"file": ("t.csv", GRID_CSV, "text/csv")}}),
        ("GET", f"{URL}/{upload_id}", {}),
        ("POST", f"{URL}/{upload_id}/confirm", {"json": {"fingerprint": fingerprint}}),
        ("DELETE", f"{URL}/{upload_id}", {}),
    ):
        assert anonymous.request(method, path, **kw).status_code == 401, path
        by_reader = read_only.client.request(method, path, headers=read_only.headers, **kw)
        assert by_reader.status_code == 403 and detail(by_reader)[0]["code"] == "insufficient_scope", path
        by_dept = department.client.request(method, path, headers=department.headers, **kw)
        assert by_dept.status_code == 403 and detail(by_dept)[0]["code"] == "role_required", path
    assert counts(db) == before and pending_count(db) == 1
    assert api_for(app, db, "admin1", "admin").imported()["outcome"] == "created"


def test_an_upload_belongs_to_its_uploader(app, db, finance):
    preview = finance.uploaded()
    other = api_for(app, db, "fin2", "finance")
    before = counts(db)
    assert other.preview(preview["upload_id"]).status_code == 404
    refused = other.confirm(preview["upload_id"], fingerprint=preview["fingerprint"])
    assert refused.status_code == 404 and detail(refused)[0]["code"] == "upload_not_found"
    assert other.cancel(preview["upload_id"]).status_code == 404
    assert counts(db) == before and pending_count(db) == 1
    assert finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).status_code == 200


def test_cancel_expiry_and_unknown_uploads(finance, db):
    preview = finance.uploaded()
    assert finance.preview(preview["upload_id"]).json()["fingerprint"] == preview["fingerprint"]
    cancelled = finance.cancel(preview["upload_id"])
    assert cancelled.status_code == 204 and cancelled.content == b""
    assert pending_count(db) == 0
    assert finance.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).status_code == 404
    assert finance.cancel(preview["upload_id"]).status_code == 404
    expired = finance.uploaded()
    pending = db.scalar(select(PendingUpload).where(PendingUpload.token == expired["upload_id"]))
    pending.expires_at = upload.now_utc() - timedelta(seconds=1)
    db.flush()
    assert finance.preview(expired["upload_id"]).status_code == 404
    assert finance.confirm(expired["upload_id"], fingerprint=expired["fingerprint"]).status_code == 404
    assert finance.preview("no-such-upload").status_code == 404
    assert finance.preview("bad%00id").status_code == 422
    bad = finance.confirm("no-such-upload", fingerprint="not hex")
    assert bad.status_code == 422 and detail(bad)[0]["loc"] == ["body", "fingerprint"]


def test_the_browser_session_needs_the_csrf_header(app, db):
    browser = logged_in(app, make_user(db, "fin3", "finance"))
    files = {"file": ("目标表.csv", GRID_CSV, "text/csv")}
    assert browser.post(URL, files=files).status_code == 403
    assert pending_count(db) == 0
    done = browser.post(URL, files=files, headers={security.CSRF_HEADER: csrf(browser)})
    assert done.status_code == 201, done.text


# ---------------------------------------------------------------- documentation, real sessions


def test_the_api_is_documented_with_examples(client):
    spec = client.get("/openapi.json").json()
    for path, method in (
        (URL, "post"),
        (URL + "/{upload_id}", "get"),
        (URL + "/{upload_id}/confirm", "post"),
        (URL + "/{upload_id}", "delete"),
    ):
        op = spec["paths"][path][method]
        assert op["summary"] and op["description"] and op["tags"] == ["绩效目标表导入"], path
        assert {"401", "403"} <= set(op["responses"]), path
    upload_op = spec["paths"][URL]["post"]
    assert {"201", "409", "422"} <= set(upload_op["responses"])
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    schemas = spec["components"]["schemas"]
    example = schemas["TargetTablePreview"]["examples"][0]
    assert set(example) == set(schemas["TargetTablePreview"]["properties"])
    assert example["target_changes"][0]["before"]["raw"] == "40次"
    assert schemas["ConfirmBody"]["examples"][0]["fingerprint"] == example["fingerprint"]
    assert set(schemas["ImportRead"]["examples"][0]) == set(schemas["ImportRead"]["properties"])


def test_each_request_commits_once_and_a_refusal_keeps_nothing(fresh_database_url):
    """Without the test's outer transaction: the preview's SAVEPOINT is rolled back, a refused
    upload's row goes with the request's rollback, a confirmation lands whole."""
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope
    from app.main import create_app

    upgrade_to_head(fresh_database_url)
    with session_scope() as session:
        user = make_user(session, "fin9", "finance")
        token = accounts.create_token(session=session, actor="test", user=user, scope="write").plaintext

    def committed() -> dict[str, int]:
        with session_scope() as session:
            return {**counts(session), "PendingUpload": pending_count(session)}

    api = Api(TestClient(create_app()), token)
    before = committed()
    preview = api.uploaded()
    assert committed() == {**before, "PendingUpload": 1}
    assert api.preview(preview["upload_id"]).json()["fingerprint"] == preview["fingerprint"]
    assert api.confirm(preview["upload_id"], fingerprint=preview["fingerprint"]).status_code == 200
    after = committed()
    assert (after["Project"], after["Indicator"], after["ImportBatch"], after["PendingUpload"]) == (
        3,
        20,
        1,
        0,
    )
    with session_scope() as session:
        row = indicator(session, "企业安全检查")
        session.add(IndicatorActual(indicator_id=row.id, raw="42", value=Decimal("42")))
    refused = api.upload(changed_csv(*CHANGED))
    assert refused.status_code == 409
    assert committed() == {**after, "IndicatorActual": after["IndicatorActual"] + 1}
