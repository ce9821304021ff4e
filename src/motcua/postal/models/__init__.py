"""The postal app's models, one module per part (DESIGN.md §4: pickups, hand-over records, shipments):

- :mod:`.points`: which post point or center offers which postal phase and home pickup, for which procedures;
- :mod:`.pickups`: home pickups of a dossier's papers;
- :mod:`.handover`: hand-over records (biên bản bàn giao) between a post point and an agency;
- :mod:`.shipments`: results sent by post with the carrier, and every status update the carrier sent.
"""

from motcua.postal.models.handover import *  # noqa: F401,F403
from motcua.postal.models.pickups import *  # noqa: F401,F403
from motcua.postal.models.points import *  # noqa: F401,F403
from motcua.postal.models.shipments import *  # noqa: F401,F403
