"""case search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) and the battle map's milestones

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-07 17:30:00
"""
from alembic import op
import sqlalchemy as sa
import engine.store


revision = '0008'
down_revision = '0009'
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    # the FTS5 table reads its text from case_search (external content); these keep its index in step
    """CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN
         INSERT INTO case_search_fts(rowid, document) VALUES (new.case_id, new.document); END""",
    """CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN
         INSERT INTO case_search_fts(case_search_fts, rowid, document) VALUES ('delete', old.case_id, old.document); END""",
    """CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN
         INSERT INTO case_search_fts(case_search_fts, rowid, document) VALUES ('delete', old.case_id, old.document);
         INSERT INTO case_search_fts(rowid, document) VALUES (new.case_id, new.document); END""",
)


def upgrade() -> None:
    op.create_table('case_search',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('updated_at', engine.store.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_table('case_milestones',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('milestone', sa.String(length=300), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', engine.store.UTCDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.String(length=1000), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'seq')
    )
    op.create_index('ix_case_milestones_due', 'case_milestones', ['due', 'unit'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE case_search_fts USING fts5(document, content='case_search', "
                   "content_rowid='case_id', tokenize='trigram')")
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    elif dialect == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_case_search_trgm ON case_search USING gin (document gin_trgm_ops)')
    # cases saved before this revision: number, title and the facts' columns now; the whole text
    # (body, names) at each one's next save
    op.execute("""INSERT INTO case_search (case_id, document, updated_at)
        SELECT c.id, COALESCE(c.number, '') || ' ' || COALESCE(c.title, '') || ' ' || COALESCE(c.stage, '')
               || ' ' || COALESCE(f.category, '') || ' ' || COALESCE(f.lead_unit, '') || ' '
               || COALESCE(f.proposer, '') || ' ' || COALESCE(f.session_label, ''), COALESCE(c.updated_at, c.created_at)
        FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id""")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('case_search_ai', 'case_search_ad', 'case_search_au'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS case_search_fts')
    elif dialect == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_case_search_trgm')
    op.drop_table('case_search')
    op.drop_index('ix_case_milestones_due', table_name='case_milestones')
    op.drop_table('case_milestones')
