"""api clients: systems calling /api/v1/ with a scope, rights, a rate limit and a hashed token

Revision ID: b8f2d4c6e802
Revises: a9e1c3b5d701
Create Date: 2026-11-30 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8f2d4c6e802'
down_revision = 'a9e1c3b5d701'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('can_write', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('token_hint', sa.String(length=16), nullable=False),
    sa.Column('rate_limit', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_clients_created_by_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_api_clients_district_id_districts')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_api_clients_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_clients_token_hash'))
    )


def downgrade():
    op.drop_table('api_clients')
