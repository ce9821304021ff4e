"""Every change in the postal app, one module per part (like ``postal.models``): ``shipments`` (results sent by
post, carrier updates), and the pickups and hand-over records in their own modules."""
