"""users choose the language of the pages

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no choice made yet, the browser's Accept-Language decides
    op.add_column("user_account", sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35 has it): rebuilding user_account in batch mode
    # would break the foreign keys that every case, scan and review holds on it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE user_account DROP COLUMN locale")
    else:
        op.drop_column("user_account", "locale")
