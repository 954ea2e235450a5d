"""correlation runs carry a job-queue claim: holder, lease and attempt count

Revision ID: 0006
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("correlation_run", sa.Column("claimed_by", sa.String(length=120), nullable=False, server_default=""))
    # NULL: never claimed, or claimed by a version without leases (treated as expired).
    op.add_column("correlation_run", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("correlation_run", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(op.f("ix_correlation_run_status"), "correlation_run", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_correlation_run_status"), table_name="correlation_run")
    with op.batch_alter_table("correlation_run") as batch:  # SQLite rebuilds the table
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
