"""users choose the language of the pages

Revision ID: 0007
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no choice made yet, the browser's Accept-Language decides
    op.add_column("user_account", sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:  # SQLite rebuilds the table
        batch.drop_column("locale")
