"""Three-way merge of a form save that lost a version race (two tabs, two clerks).

The 自评表 page carries the values it was loaded with (``loaded_token``: the form's field names
→ the stored values at the page's version, base64url JSON in one hidden field). When a save is
refused as stale, ``merge`` compares, field group by field group, what the page was loaded with
(base), what is stored now (theirs) and what was posted (mine):

- only the other side changed it → the stored value is kept;
- only this side changed it (or both made the same change) → the posted value is applied;
- both changed it differently → a clash, shown side by side (stored / yours) to choose
  (``keep-<field>`` = ``stored`` | ``mine``; the page preselects ``mine``).

A field group is what one change of the form is: a project field, an indicator's value part
(value, baseline, grade, score, date, 不适用), its 不适用理由, its 偏差原因. A posted form without
the loaded values (a page older than this) has no base: every difference is a clash. The API
keeps its plain 409 (its clients resend with the new version).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.params import parse_id
from app.db.models import Indicator, Project
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions.service import FieldChange, indicator_label

LOADED_FIELD = "loaded"
KEEP_PREFIX = "keep-"
VALUE_ATTRS = ("value", "baseline", "grade", "score", "date", "not_applicable")
# Form field prefix → ActualEntry attribute (the inverse of entries.entry_from_form).
FORM_ATTRS = {f.prefix: f.attr for f in F.INDICATOR_FIELDS}


# ------------------------------------------------------------------------------ the loaded values


def stored_form(project: Project) -> dict[str, str]:
    """The stored values of ``project`` under the form's field names (what a fresh page shows)."""
    out: dict[str, str] = {}
    for f in F.PROJECT_FIELDS:
        out[f.name] = f.kind.shown(getattr(project, f.column))
    for ind in project.indicators:
        e = E.stored_entry(ind)
        for prefix, attr in FORM_ATTRS.items():
            value = getattr(e, attr)
            if isinstance(value, bool):
                value = "1" if value else ""
            out[f"{prefix}-{ind.id}"] = value
    return out


def loaded_token(project: Project) -> str:
    """The hidden field's value: the stored values at the project's current version."""
    data = {"version": project.version, "fields": stored_form(project)}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def loaded_entry(form: Mapping[str, Any], indicators: list[Indicator]) -> E.ProjectEntry | None:
    """What the posted page was loaded with, or None when it carries nothing readable."""
    token = form.get(LOADED_FIELD)
    if not isinstance(token, str) or not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
        fields = {str(k): v for k, v in data["fields"].items() if isinstance(v, str)}
        version = parse_id(str(data["version"]))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeError):
        return None
    if version is None:
        return None
    entry = E.entry_from_form(fields, indicators)
    entry.version = version
    return entry


# ------------------------------------------------------------------------------ field groups


@dataclass(frozen=True, slots=True)
class Group:
    """One field group: its anchor, label, a comparison key, how it is shown, how it is copied."""

    field: str
    label: str
    key: Callable[[E.ProjectEntry], Any]
    shown: Callable[[E.ProjectEntry], str]
    copy: Callable[[E.ProjectEntry, E.ProjectEntry], None]  # (from, into)


def _project_key(name: str, text: str | None) -> Any:
    """A project field as read (``1.50`` = ``1.5``); an unreadable one as its stripped text."""
    try:
        return F.BY_NAME[name].kind.read(name, text)
    except E.EntryError:
        return ("unreadable", (text or "").strip())


def _project_group(name: str) -> Group:
    def copy(src: E.ProjectEntry, dst: E.ProjectEntry) -> None:
        setattr(dst, name, getattr(src, name))

    return Group(
        name,
        E.field_label(name),
        lambda e: _project_key(name, getattr(e, name)),
        lambda e: (getattr(e, name) or "").strip(),
        copy,
    )


def _actual(e: E.ProjectEntry, ind_id: int) -> E.ActualEntry:
    return e.actuals.setdefault(ind_id, E.ActualEntry())


def _indicator_groups(ind: Indicator) -> list[Group]:
    i = ind.id

    def copy_attrs(*attrs: str) -> Callable[[E.ProjectEntry, E.ProjectEntry], None]:
        def copy(src: E.ProjectEntry, dst: E.ProjectEntry) -> None:
            from_, into = _actual(src, i), _actual(dst, i)
            for attr in attrs:
                setattr(into, attr, getattr(from_, attr))

        return copy

    groups = [
        Group(
            E.primary_field(ind),
            indicator_label(ind, "a"),
            lambda e: E.value_key(ind, _actual(e, i)),
            lambda e: E.display_value(ind, _actual(e, i)),
            copy_attrs(*VALUE_ATTRS),
        )
    ]
    for prefix in ("nr", "r"):
        attr = FORM_ATTRS[prefix]
        groups.append(
            Group(
                f"{prefix}-{i}",
                indicator_label(ind, f"{prefix}-{i}"),
                lambda e, attr=attr: (getattr(_actual(e, i), attr) or "").strip(),
                lambda e, attr=attr: (getattr(_actual(e, i), attr) or "").strip(),
                copy_attrs(attr),
            )
        )
    return groups


def groups_of(project: Project) -> list[Group]:
    """Every field group of the form, in the form's order."""
    out = [_project_group(f.name) for f in F.PROJECT_FIELDS]
    for ind in sorted(project.indicators, key=lambda r: r.position):
        out.extend(_indicator_groups(ind))
    return out


def stored_entry(project: Project) -> E.ProjectEntry:
    """Everything stored, as a form save of the current version."""
    entry = E.entry_from_form(stored_form(project), list(project.indicators))
    entry.version = project.version
    return entry


# ------------------------------------------------------------------------------ merging


@dataclass(slots=True)
class Merge:
    """The save to make at the current version, and what could not be merged."""

    entry: E.ProjectEntry
    kept: list[str] = field(default_factory=list)  # labels of fields the other side changed, kept
    applied: list[str] = field(default_factory=list)  # labels of this side's changes, applied
    clashes: list[FieldChange] = field(default_factory=list)  # before = stored, after = yours


def _filled(mine: E.ProjectEntry, theirs: E.ProjectEntry, project: Project) -> E.ProjectEntry:
    """``mine`` with what it does not carry (a project field left None, an indicator not on the
    form) taken from the stored side: an absent field is no change."""
    out = mine.copy(actuals=dict(mine.actuals))
    for name in F.BY_NAME:
        if getattr(out, name) is None:
            setattr(out, name, getattr(theirs, name))
    for ind in project.indicators:
        if ind.id not in out.actuals:
            out.actuals[ind.id] = replace(theirs.actuals.get(ind.id) or E.ActualEntry())
    return out


def merge(*, project: Project, base: E.ProjectEntry | None, mine: E.ProjectEntry) -> Merge:
    """Merge ``mine`` (posted against ``base``) with what ``project`` stores now (see the module
    docstring). The result's entry carries the current version; clashes hold the posted value."""
    theirs = stored_entry(project)
    mine = _filled(mine, theirs, project)
    result = Merge(theirs.copy(actuals={i: replace(a) for i, a in theirs.actuals.items()}))
    for group in groups_of(project):
        ours, stored = group.key(mine), group.key(theirs)
        if ours == stored:
            continue
        loaded = group.key(base) if base is not None else None
        if base is not None and loaded == stored:  # only this side changed it
            group.copy(mine, result.entry)
            result.applied.append(group.label)
        elif base is not None and loaded == ours:  # only the other side changed it
            result.kept.append(group.label)
        else:
            group.copy(mine, result.entry)  # shown as typed; the clerk chooses
            result.clashes.append(
                FieldChange(group.field, group.label, group.shown(theirs), group.shown(mine))
            )
    return result


def apply_choices(
    *, project: Project, form: Mapping[str, Any], entry: E.ProjectEntry, base: E.ProjectEntry | None
) -> E.ProjectEntry:
    """``entry`` with each clash the clerk resolved as 保留已保存 (``keep-<field>=stored``) set back
    to what the page was loaded with (the stored value when the clash was shown)."""
    if base is None:
        return entry
    chosen = [g for g in groups_of(project) if form.get(KEEP_PREFIX + g.field) == "stored"]
    if not chosen:
        return entry
    entry = entry.copy(actuals={i: replace(a) for i, a in entry.actuals.items()})
    for group in chosen:
        group.copy(base, entry)
    return entry
