"""The postal app's services, one module per part (each user operation one function, one transaction):

- :mod:`.pickups`: home pickups of a dossier's papers;
- :mod:`.handover`: hand-over records (biên bản bàn giao) between a post point and an agency;
- :mod:`.shipments`: results sent by post, and the carrier's updates about them.
"""
