"""a gun's trace history across borders: lost-and-stolen alerts are acknowledged (and
stay recorded), a trace request records who answered it (a partner answers its own),
and a gun record is disclosed to a partner whose serial query hit it

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _add_user_fk(table: str, column: str) -> None:
    # SQLite cannot add a foreign key to an existing table except inline with the column;
    # rebuilding the table in batch mode would break the foreign keys held on it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES user_account (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f"fk_{table}_{column}", table, "user_account", [column], ["id"])


def _sqlite_drop_columns() -> None:
    """Rebuild ``stolen_alert`` and ``trace_request`` without this revision's columns (SQLite).

    SQLite cannot drop a column that holds a foreign key, so the tables are rebuilt with
    foreign keys off (allowed only outside a transaction), as revision 0004 does, and
    checked with ``foreign_key_check`` before the rebuild commits.
    """
    conn = op.get_bind()
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        with op.batch_alter_table("stolen_alert", schema=None) as batch_op:
            batch_op.drop_column("acknowledgement_note")
            batch_op.drop_column("acknowledged_by_id")
            batch_op.drop_column("acknowledged_at")
        with op.batch_alter_table("trace_request", schema=None) as batch_op:
            batch_op.drop_column("answered_by_id")
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"rebuilding stolen_alert / trace_request would break foreign keys: {broken[:5]}")
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade() -> None:
    op.add_column("stolen_alert", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    _add_user_fk("stolen_alert", "acknowledged_by_id")
    op.add_column("stolen_alert", sa.Column("acknowledgement_note", sa.Text(), nullable=False, server_default=""))
    _add_user_fk("trace_request", "answered_by_id")

    op.create_table(
        "firearm_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firearm_id", sa.Integer(), nullable=False),
        sa.Column("requesting_jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("owning_jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=80), nullable=False),
        sa.Column("query_normalised", sa.String(length=80), nullable=False),
        sa.Column("status", sa.Enum("requested", "approved", "refused", name="disclosure_status", native_enum=False,
                                    length=24), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["firearm_id"], ["firearm.id"]),
        sa.ForeignKeyConstraint(["owning_jurisdiction_id"], ["jurisdiction.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["requesting_jurisdiction_id"], ["jurisdiction.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("firearm_id", "requesting_jurisdiction_id"),
    )
    with op.batch_alter_table("firearm_disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firearm_disclosure_firearm_id"), ["firearm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_disclosure_owning_jurisdiction_id"), ["owning_jurisdiction_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_firearm_disclosure_requesting_jurisdiction_id"),
                              ["requesting_jurisdiction_id"], unique=False)


def downgrade() -> None:
    # Acknowledgements, who answered and disclosed gun records are dropped with their
    # columns; the alerts and trace requests themselves stay.
    with op.batch_alter_table("firearm_disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firearm_disclosure_requesting_jurisdiction_id"))
        batch_op.drop_index(batch_op.f("ix_firearm_disclosure_owning_jurisdiction_id"))
        batch_op.drop_index(batch_op.f("ix_firearm_disclosure_firearm_id"))
    op.drop_table("firearm_disclosure")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_drop_columns()
        return
    op.drop_constraint("fk_trace_request_answered_by_id", "trace_request", type_="foreignkey")
    op.drop_column("trace_request", "answered_by_id")
    op.drop_column("stolen_alert", "acknowledgement_note")
    op.drop_constraint("fk_stolen_alert_acknowledged_by_id", "stolen_alert", type_="foreignkey")
    op.drop_column("stolen_alert", "acknowledged_by_id")
    op.drop_column("stolen_alert", "acknowledged_at")
