"""§5a on the review page: the reviewer's score and the 调整后指标值 sit beside the computed score
and the original target; totals, snapshots (summaries) and the 自评表 use them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.scoring.service import compute_project_score, latest_snapshot
from tests.accounts_support import csrf, logged_in, make_user
from tests.review_support import fill_project, import_seed, submit


@pytest.fixture
def setup(client, db):
    project = import_seed(db)[0]
    fill_project(db, project, quality=1.0)
    submit(db, project)
    fin = make_user(db, "fin", "finance")
    web = logged_in(client.app, fin)
    return project, web


def _numeric(project, op=">="):
    return next(i for i in project.indicators if i.direction == "positive" and i.operator == op and i.value)


def test_score_adjustment_keeps_the_computed_score_and_changes_the_total(db, setup):
    project, web = setup
    before = compute_project_score(session=db, project=project)
    ind = _numeric(project)
    i = sorted(project.indicators, key=lambda r: r.position).index(ind)
    computed = before.indicators[i].score
    new = computed - Decimal("1.00")
    url = f"/review/{project.id}/adjust"

    missing = web.post(
        url,
        data={
            "indicator_id": ind.id,
            "kind": "score",
            "value": str(new),
            "reason": "",
            "csrf_token": csrf(web),
        },
    )
    assert missing.status_code == 422 and "请填写调整理由" in missing.text
    assert 'id="adj-reason-error"' in missing.text and f'<option value="{ind.id}" selected>' in missing.text
    too_big = web.post(
        url,
        data={
            "indicator_id": ind.id,
            "kind": "score",
            "value": "999",
            "reason": "x",
            "csrf_token": csrf(web),
        },
    )
    assert too_big.status_code == 422 and "复核得分应在" in too_big.text

    ok = web.post(
        url,
        data={
            "indicator_id": ind.id,
            "kind": "score",
            "value": str(new),
            "reason": "台账显示一次检查无记录",
            "csrf_token": csrf(web),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    after = compute_project_score(session=db, project=project)
    assert after.indicators[i].score == computed and after.indicators[i].adjusted_score == new
    assert after.total == before.total - Decimal("1.00")
    # The snapshot (what summaries read) follows at once.
    assert latest_snapshot(session=db, project_id=project.id).total == after.total
    page = web.get(f"/review/{project.id}")
    assert "台账显示一次检查无记录" in page.text and 'title="计算得分"' in page.text


def test_target_adjustment_is_shown_beside_the_original(db, setup):
    project, web = setup
    ind = _numeric(project)
    raw = f"≥{(ind.value * 2).normalize():f}{ind.unit or ''}"
    r = web.post(
        f"/review/{project.id}/adjust",
        data={
            "indicator_id": ind.id,
            "kind": "target",
            "value": raw,
            "reason": "年中调增任务",
            "csrf_token": csrf(web),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    i = sorted(project.indicators, key=lambda x: x.position).index(ind)
    score = compute_project_score(session=db, project=project).indicators[i]
    assert score.score < score.points  # the actual met the original target, not the doubled one
    assert ind.raw != raw  # the imported target is kept
    page = web.get(f"/projects/{project.id}/report")
    assert "调整后指标值" in page.text and raw in page.text and ind.raw in page.text

    bad = web.post(
        f"/review/{project.id}/adjust",
        data={
            "indicator_id": ind.id,
            "kind": "target",
            "value": "5次%",
            "reason": "x",
            "csrf_token": csrf(web),
        },
    )
    assert bad.status_code == 422 and 'id="adj-value-error"' in bad.text and "无法识别指标值" in bad.text

    cleared = web.post(
        f"/review/{project.id}/adjust",
        data={"indicator_id": ind.id, "kind": "target", "clear": "1", "csrf_token": csrf(web)},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    assert compute_project_score(session=db, project=project).indicators[i].score == score.points


def test_an_indicator_of_another_project_is_not_found(db, setup):
    project, web = setup
    other = import_seed(db)[1]
    r = web.post(
        f"/review/{project.id}/adjust",
        data={
            "indicator_id": other.indicators[0].id,
            "kind": "score",
            "value": "1",
            "reason": "x",
            "csrf_token": csrf(web),
        },
    )
    assert r.status_code == 404
