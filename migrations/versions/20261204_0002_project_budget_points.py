"""project.budget_points: the 分值 of 预算执行率 when the table prints it (scoring rules §1)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 08:58:22.639526
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_points", sa.Numeric(precision=8, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("budget_points")
