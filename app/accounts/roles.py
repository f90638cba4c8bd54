"""Roles and token scopes with their Chinese labels."""

from __future__ import annotations

ROLES = ("department", "finance", "admin")
ROLE_LABELS = {"department": "预算部门", "finance": "财政审核", "admin": "系统管理员"}
SCOPES = ("read", "write")
SCOPE_LABELS = {"read": "只读", "write": "读写"}
