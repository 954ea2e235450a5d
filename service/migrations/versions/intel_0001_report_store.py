"""intelligence reports: the intel_report table

Revision ID: intel_0001
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = "intel_0001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intel_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("partner_scope", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdiction.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intel_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intel_report_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_intel_report_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intel_report_jurisdiction_id"), ["jurisdiction_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intel_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intel_report_jurisdiction_id"))
        batch_op.drop_index(batch_op.f("ix_intel_report_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_intel_report_sha256"))
    op.drop_table("intel_report")
