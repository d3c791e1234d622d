"""maintained compound totals and households per compound

Dashboards read per-compound response sums and household counts kept up to date with every change,
instead of scanning the responses and households on every view. Both are filled here from the data
already stored (the app keeps them current from now on).

Revision ID: a9e1c3b5d701
Revises: 137c55dbabbd
Create Date: 2026-11-30 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e1c3b5d701'
down_revision = '137c55dbabbd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('compound_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('total_sq', sa.Float(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('overall_n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_compound_totals_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_compound_totals_compound_id_compounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compound_totals')),
    sa.UniqueConstraint('campaign_id', 'compound_id', 'company_id', 'status',
                        name=op.f('uq_compound_totals_campaign_id_compound_id_company_id_status'))
    )
    with op.batch_alter_table('compound_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compound_totals_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compound_totals_compound_id'), ['compound_id'], unique=False)
    with op.batch_alter_table('compounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('households', sa.Integer(), server_default='0', nullable=False))

    op.execute(
        "INSERT INTO compound_totals (campaign_id, compound_id, company_id, status, n, total, total_sq, satisfied, "
        "overall_n) "
        "SELECT campaign_id, compound_id, COALESCE(company_id, 0), status, COUNT(*), SUM(score), SUM(score * score), "
        "SUM(CASE WHEN overall >= 4 THEN 1 ELSE 0 END), COUNT(overall) FROM responses WHERE score IS NOT NULL "
        "GROUP BY campaign_id, compound_id, COALESCE(company_id, 0), status"
    )
    op.execute("UPDATE compounds SET households = "
               "(SELECT COUNT(*) FROM households WHERE households.compound_id = compounds.id)")


def downgrade():
    with op.batch_alter_table('compounds', schema=None) as batch_op:
        batch_op.drop_column('households')
    with op.batch_alter_table('compound_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compound_totals_compound_id'))
        batch_op.drop_index(batch_op.f('ix_compound_totals_campaign_id'))
    op.drop_table('compound_totals')
