"""firearm records: the registry, life cycle, corrections, photos, destruction
approvals, linked cases; ammunition fields and urgency on exhibits, run priority; people and
organisations; trace requests and lost-and-stolen registers; and a firearm record made
from every distinct free-text ``exhibit.firearm`` of a case (the text is kept both
on the exhibit and on the record, verbatim)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:16:45.765375
"""

import hashlib
import json
import re
import unicodedata
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('firearm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('pistol', 'revolver', 'rifle', 'shotgun', 'submachine_gun', 'converted_alarm', 'reactivated', 'privately_made', '3d_printed', 'unknown', name='firearm_type', native_enum=False, length=24), nullable=False),
    sa.Column('acquisition', sa.Enum('recovered', 'seized', 'surrendered', 'reference', name='firearm_acquisition', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('recovered', 'submitted', 'examined', 'test_fired', 'stored', 'returned', 'destroyed', name='firearm_status', native_enum=False, length=24), nullable=False),
    sa.Column('make', sa.String(length=120), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('calibre', sa.String(length=40), nullable=False),
    sa.Column('serial_number', sa.String(length=80), nullable=False),
    sa.Column('serial_normalised', sa.String(length=80), nullable=False),
    sa.Column('other_markings', sa.Text(), nullable=False),
    sa.Column('proof_marks', sa.Text(), nullable=False),
    sa.Column('country_of_manufacture', sa.String(length=80), nullable=False),
    sa.Column('import_marks', sa.Text(), nullable=False),
    sa.Column('condition', sa.String(length=300), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('source_text', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('firearm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firearm_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firearm_serial_normalised'), ['serial_normalised'], unique=False)

    op.create_table('destruction_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=True),
    sa.Column('exhibit_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'approved', 'refused', name='destruction_state', native_enum=False, length=24), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.ForeignKeyConstraint(['exhibit_id'], ['exhibit.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], ),
    sa.CheckConstraint('(firearm_id IS NULL) <> (exhibit_id IS NULL)', name='destroys_one_thing'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('destruction_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_request_firearm_id'), ['firearm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_destruction_request_exhibit_id'), ['exhibit_id'], unique=False)

    op.create_table('firearm_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('recovered', 'submitted', 'examined', 'test_fired', 'stored', 'returned', 'destroyed', name='firearm_status', native_enum=False, length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('firearm_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firearm_event_firearm_id'), ['firearm_id'], unique=False)

    op.create_table('firearm_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    with op.batch_alter_table('firearm_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firearm_photo_firearm_id'), ['firearm_id'], unique=False)

    op.create_table('firearm_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('firearm_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firearm_revision_firearm_id'), ['firearm_id'], unique=False)

    op.create_table('firearm_case_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.ForeignKeyConstraint(['hit_id'], ['hit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('firearm_id', 'case_id')
    )
    with op.batch_alter_table('firearm_case_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firearm_case_link_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firearm_case_link_firearm_id'), ['firearm_id'], unique=False)

    op.add_column('exhibit', sa.Column('headstamp', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('exhibit', sa.Column('lot', sa.String(length=80), nullable=False, server_default=''))
    if op.get_bind().dialect.name == "sqlite":
        # In place: a rebuild of ``exhibit`` would trip the foreign keys of its scans.
        op.execute("ALTER TABLE exhibit ADD COLUMN firearm_id INTEGER REFERENCES firearm (id)")
    else:
        op.add_column('exhibit', sa.Column('firearm_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_exhibit_firearm_id', 'exhibit', 'firearm', ['firearm_id'], ['id'])
    op.create_index(op.f('ix_exhibit_firearm_id'), 'exhibit', ['firearm_id'], unique=False)
    # Urgency: urgent submissions are searched first (run priority) and held to a shorter target.
    op.add_column('exhibit', sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('correlation_run', sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))

    _tracing_tables()
    _people_tables()
    _records_from_free_text()


def _people_tables() -> None:
    """People and organisations and their links (personal data under the LED)."""
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'organisation', name='party_kind', native_enum=False, length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nationality', sa.String(length=80), nullable=False),
    sa.Column('identifiers', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_jurisdiction_id'), ['jurisdiction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_retain_until'), ['retain_until'], unique=False)

    op.create_table('person_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('suspect', 'victim', 'witness', 'owner', 'licence_holder', 'seller', name='party_role', native_enum=False, length=24), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('firearm_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('case_id IS NOT NULL OR firearm_id IS NOT NULL OR event_id IS NOT NULL', name='links_something'),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_link_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_link_firearm_id'), ['firearm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_link_person_id'), ['person_id'], unique=False)


def _tracing_tables() -> None:
    """Trace requests and their documents; lost-and-stolen imports, entries and alerts."""
    op.create_table('stolen_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_name', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=80), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stolen_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stolen_import_register_name'), ['register_name'], unique=False)

    op.create_table('stolen_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('make', sa.String(length=120), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('calibre', sa.String(length=40), nullable=False),
    sa.Column('serial_number', sa.String(length=80), nullable=False),
    sa.Column('serial_normalised', sa.String(length=80), nullable=False),
    sa.Column('country', sa.String(length=80), nullable=False),
    sa.Column('date_reported', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['stolen_import.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('import_id', 'row_number')
    )
    with op.batch_alter_table('stolen_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stolen_entry_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stolen_entry_serial_normalised'), ['serial_normalised'], unique=False)

    op.create_table('stolen_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('register_name', sa.String(length=80), nullable=False),
    sa.Column('make_agrees', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['stolen_entry.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stolen_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stolen_alert_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stolen_alert_firearm_id'), ['firearm_id'], unique=False)

    op.create_table('trace_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firearm_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('national_registry', 'manufacturer', 'importer', 'partner_jurisdiction', name='trace_target', native_enum=False, length=24), nullable=False),
    sa.Column('addressee', sa.String(length=200), nullable=False),
    sa.Column('partner_jurisdiction_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('sent', 'answered', 'no_record', 'closed', name='trace_status', native_enum=False, length=24), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['firearm_id'], ['firearm.id'], ),
    sa.ForeignKeyConstraint(['partner_jurisdiction_id'], ['jurisdiction.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trace_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_request_firearm_id'), ['firearm_id'], unique=False)

    op.create_table('trace_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trace_request_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trace_request_id'], ['trace_request.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trace_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_document_trace_request_id'), ['trace_request_id'], unique=False)


def _sqlite_drop_exhibit_columns() -> None:
    """Rebuild ``exhibit`` without the columns this revision added (SQLite only).

    SQLite cannot drop a column that holds a foreign key, so the table is rebuilt, and
    the rebuild drops the old table, whose implicit DELETE counts a violation for every
    scan and custody row pointing at it that the renamed copy never pays back. The
    documented way is a rebuild with foreign keys off, which SQLite allows only outside a
    transaction: the downgrade so far is committed, the rebuild runs in its own
    transaction and is checked with ``foreign_key_check`` before it commits.
    """
    conn = op.get_bind()
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        with op.batch_alter_table('exhibit', schema=None) as batch_op:
            batch_op.drop_index('ix_exhibit_firearm_id')
            batch_op.drop_column('firearm_id')
            batch_op.drop_column('lot')
            batch_op.drop_column('headstamp')
            batch_op.drop_column('urgent')
        with op.batch_alter_table('correlation_run', schema=None) as batch_op:
            batch_op.drop_column('priority')
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"rebuilding exhibit would break foreign keys: {broken[:5]}")
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- data: free text -> firearm records --------------------------------------------
# Frozen copies of what the service does today (service.firearms.serials.normalise and
# service.audit.record): a migration must keep doing what it did when it was written.

_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"})
# "serial 12-345", "s/n: AB123", "SN AB 123", "serial no. X1"
_SERIAL = re.compile(r"(?:serial(?:\s*(?:no\.?|number))?|s\s*/\s*n|\bsn)\s*[:#.]?\s*([A-Za-z0-9][A-Za-z0-9\-/.]*)", re.I)


def _normalise(serial: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", serial) if not unicodedata.combining(c)).upper()
    core = re.sub(r"[ \t\-/._:,]+", "", text)
    if not re.fullmatch(r"[A-Z0-9]{1,40}", core or "-"):
        return ""
    return core.translate(_LOOKALIKES)


def _audit(conn, detail: dict) -> None:
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    seq, prev = head.seq + 1, head.hash
    fields = {
        "seq": seq,
        "at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        "user_id": None,
        "username": "",
        "jurisdiction_id": None,
        "action": "migrate",
        "resource": "firearm",
        "resource_id": "",
        "detail": json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
    conn.execute(
        sa.text(
            "INSERT INTO audit_log (seq, at, user_id, username, jurisdiction_id, action, resource, resource_id, "
            "detail, prev_hash, hash) VALUES (:seq, :at, :user_id, :username, :jurisdiction_id, :action, "
            ":resource, :resource_id, :detail, :prev_hash, :hash)"
        ),
        {**fields, "prev_hash": prev, "hash": digest},
    )
    conn.execute(sa.text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"), {"seq": seq, "hash": digest})


def _records_from_free_text() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, case_id, kind, calibre, firearm FROM exhibit WHERE firearm <> '' ORDER BY id")
    ).all()
    made: dict[tuple[int, str], int] = {}
    now = datetime.now(timezone.utc)
    for row in rows:
        text = row.firearm.strip()
        key = (row.case_id, text)
        if key not in made:
            found = _SERIAL.search(text)
            serial = found.group(1).rstrip("./-") if found else ""
            normal = _normalise(serial) if serial else ""
            new_id = conn.execute(
                sa.text(
                    "INSERT INTO firearm (case_id, kind, acquisition, status, make, model, calibre, serial_number, "
                    "serial_normalised, other_markings, proof_marks, country_of_manufacture, import_marks, condition, "
                    "notes, source_text, created_by_id, created_at, updated_at) VALUES (:case_id, 'unknown', "
                    "'recovered', :status, '', '', :calibre, :serial, :normal, '', '', '', '', '', :notes, :text, "
                    "NULL, :now, :now) RETURNING id"
                ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
                {
                    "case_id": row.case_id,
                    "status": "test_fired" if row.kind == "test_fire" else "recovered",
                    "calibre": (row.calibre or "")[:40],
                    "serial": serial[:80] if normal else "",
                    "normal": normal,
                    "notes": "made by migration 0004 from the exhibit's free-text firearm field",
                    "text": row.firearm,
                    "now": now,
                },
            ).scalar_one()
            made[key] = new_id
        conn.execute(sa.text("UPDATE exhibit SET firearm_id = :f WHERE id = :e"), {"f": made[key], "e": row.id})
    if made:
        _audit(conn, {"revision": "0004", "firearms": sorted(made.values()), "exhibits": [r.id for r in rows]})




def downgrade() -> None:
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_link_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_link_firearm_id'))
        batch_op.drop_index(batch_op.f('ix_person_link_case_id'))

    op.drop_table('person_link')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_retain_until'))
        batch_op.drop_index(batch_op.f('ix_person_jurisdiction_id'))

    op.drop_table('person')

    with op.batch_alter_table('trace_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_document_trace_request_id'))

    op.drop_table('trace_document')
    with op.batch_alter_table('trace_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_request_firearm_id'))

    op.drop_table('trace_request')
    with op.batch_alter_table('stolen_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stolen_alert_firearm_id'))
        batch_op.drop_index(batch_op.f('ix_stolen_alert_case_id'))

    op.drop_table('stolen_alert')
    with op.batch_alter_table('stolen_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stolen_entry_serial_normalised'))
        batch_op.drop_index(batch_op.f('ix_stolen_entry_import_id'))

    op.drop_table('stolen_entry')
    with op.batch_alter_table('stolen_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stolen_import_register_name'))

    op.drop_table('stolen_import')

    # The free text on the exhibits was never touched: dropping the records loses nothing of it.
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_drop_exhibit_columns()
    else:
        op.drop_constraint('fk_exhibit_firearm_id', 'exhibit', type_='foreignkey')
        op.drop_index(op.f('ix_exhibit_firearm_id'), table_name='exhibit')
        for column in ('firearm_id', 'lot', 'headstamp', 'urgent'):
            op.drop_column('exhibit', column)
        op.drop_column('correlation_run', 'priority')

    with op.batch_alter_table('firearm_case_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firearm_case_link_firearm_id'))
        batch_op.drop_index(batch_op.f('ix_firearm_case_link_case_id'))

    op.drop_table('firearm_case_link')
    with op.batch_alter_table('firearm_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firearm_revision_firearm_id'))

    op.drop_table('firearm_revision')
    with op.batch_alter_table('firearm_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firearm_photo_firearm_id'))

    op.drop_table('firearm_photo')
    with op.batch_alter_table('firearm_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firearm_event_firearm_id'))

    op.drop_table('firearm_event')
    with op.batch_alter_table('destruction_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_request_firearm_id'))
        batch_op.drop_index(batch_op.f('ix_destruction_request_exhibit_id'))

    op.drop_table('destruction_request')
    with op.batch_alter_table('firearm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firearm_serial_normalised'))
        batch_op.drop_index(batch_op.f('ix_firearm_case_id'))

    op.drop_table('firearm')

