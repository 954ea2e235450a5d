"""jurisdictions name the map region they are drawn as

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the map recognises the jurisdiction by its code or name, or lists it beside the map
    op.add_column("jurisdiction", sa.Column("map_region", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35 has it): rebuilding jurisdiction in batch mode
    # would break the foreign keys every case, user and agency holds on it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE jurisdiction DROP COLUMN map_region")
    else:
        op.drop_column("jurisdiction", "map_region")
