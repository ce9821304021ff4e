"""Reads of the postal app, one module per part (like ``postal.models`` and ``postal.services``): ``pickups``
(the post point's pickup queue, a dossier's pickup as each page shows it), ``handover`` (hand-over records and
the dossiers waiting for one), ``shipments`` (results sent by post, as staff, applicants and the public see them)."""
