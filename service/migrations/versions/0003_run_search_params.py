"""correlation runs record the digest of the search parameters

Revision ID: 0003
Revises: intel_0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "intel_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # runs made before this revision did not record it: they read as empty, not as a guess
    op.add_column(
        "correlation_run",
        sa.Column("search_params_digest", sa.String(length=40), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("correlation_run") as batch:  # SQLite rebuilds the table
        batch.drop_column("search_params_digest")
