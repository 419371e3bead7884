"""One transaction per StartTransaction: unique (station, connector, lower(idTag), meterStart,
timestamp)

Revision ID: 5d3e9a7c1b20
Revises: 2b7c0e1f4a90
Create Date: 2026-11-25 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5d3e9a7c1b20"
down_revision = "2b7c0e1f4a90"
branch_labels = None
depends_on = None

KEY = "station_id, connector_id, lower(id_tag), meter_start, start_timestamp"


def upgrade() -> None:
    # Duplicates stored before this index (two nodes racing on a retransmission) would make
    # the index fail. Which one the station used is not known here, and deleting business
    # data in a migration is not ours to decide: stop and name them.
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT min(id), max(id), count(*) FROM core_transactions GROUP BY {KEY}"
                " HAVING count(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        groups = "; ".join(f"ids {low}..{high} ({n} rows)" for low, high, n in duplicates[:20])
        raise RuntimeError(
            f"core_transactions holds {len(duplicates)} duplicated StartTransactions ({groups})."
            " Delete the spurious rows (the station's StopTransaction and MeterValues name the"
            " transactionId it used), then run `csms db upgrade` again."
        )
    op.create_index(
        "uq_core_transactions_start",
        "core_transactions",
        [
            "station_id",
            "connector_id",
            sa.text("lower(id_tag)"),
            "meter_start",
            "start_timestamp",
        ],
        unique=True,
    )
    op.drop_index("ix_core_transactions_start", table_name="core_transactions")


def downgrade() -> None:
    op.create_index(
        "ix_core_transactions_start",
        "core_transactions",
        ["station_id", "connector_id", "id_tag", "start_timestamp"],
    )
    op.drop_index("uq_core_transactions_start", table_name="core_transactions")
