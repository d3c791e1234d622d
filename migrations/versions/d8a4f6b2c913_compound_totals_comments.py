"""compound totals count comments

The company page counted its comments by reading every response of the company on each view; the
compound totals now keep how many of their responses carry a comment, filled here from the
responses already stored (the app keeps it current from now on).

Revision ID: d8a4f6b2c913
Revises: c7a3e5d7f903
Create Date: 2026-11-30 14:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8a4f6b2c913'
down_revision = 'c7a3e5d7f903'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('compound_totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comments', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE compound_totals SET comments = (SELECT COUNT(*) FROM responses r "
        "WHERE r.campaign_id = compound_totals.campaign_id AND r.compound_id = compound_totals.compound_id "
        "AND COALESCE(r.company_id, 0) = compound_totals.company_id AND r.status = compound_totals.status "
        "AND r.score IS NOT NULL AND r.comment IS NOT NULL AND r.comment != '')"
    )


def downgrade():
    with op.batch_alter_table('compound_totals', schema=None) as batch_op:
        batch_op.drop_column('comments')
