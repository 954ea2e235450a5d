"""correlation runs record how deep the full comparison went

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # runs made before this revision did not record it: NULL, not a guess
    op.add_column("correlation_run", sa.Column("search_depth", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("correlation_run") as batch:  # SQLite rebuilds the table
        batch.drop_column("search_depth")
