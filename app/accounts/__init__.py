"""Accounts, roles, unit scoping, API tokens and the audit log.

Public API for other areas:
- ``app.accounts.deps``: ``CurrentUser``, ``OptionalUser``, ``require_role`` (web);
  ``ApiUser``, ``ApiWriter``, ``require_api_role`` (API).
- ``app.accounts.scoping``: ``readable_projects``, ``readable_units``, ``get_readable_project``,
  ``get_writable_project``.
- ``app.accounts.audit``: ``record_audit``, ``snapshot``, ``cli_actor``, ``AUDIT_ACTION_LABELS``.
- ``app.accounts.service``: users, tokens, ``ensure_demo_accounts``.
"""
