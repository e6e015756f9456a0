"""plates in normal form

Every stored plate becomes its normal form (service/plates.py: 沪a·12345 and 沪A12345 are one
plate, 沪A12345), so that a plate is compared as stored however it was typed. A plate whose normal
form another car of the same household already has keeps its spelling (the two rows cannot both
take it), and is named in the log; so are plates that two households of a compound now share.
Runs keep the plates they were run with. Going down leaves the plates in normal form: any spelling
is a plate to revision 0007.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from service.plates import canonical

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT cars.id, cars.household_id, cars.plate, households.compound_id "
            "FROM cars JOIN households ON households.id = cars.household_id ORDER BY cars.id"
        )
    ).all()
    taken = {(household, plate) for _, household, plate, _ in rows}
    owners: dict[tuple[str, str], set[int]] = {}
    for car, household, plate, compound in rows:
        normal = canonical(plate)
        if normal != plate:
            if (household, normal) in taken:
                log.warning("car %s keeps its plate %r: its household has %s", car, plate, normal)
                normal = plate
            else:
                connection.execute(
                    sa.text("UPDATE cars SET plate = :plate WHERE id = :car"),
                    {"plate": normal, "car": car},
                )
                taken.discard((household, plate))
                taken.add((household, normal))
        owners.setdefault((compound, normal), set()).add(household)
    for (compound, plate), households in sorted(owners.items()):
        if len(households) > 1:
            log.warning(
                "compound %s: plate %s is a car of %d households", compound, plate, len(households)
            )


def downgrade() -> None:
    """Nothing to undo: a plate in normal form is a plate to 0005."""
