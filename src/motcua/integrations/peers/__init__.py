"""Dossiers between provinces: this MotCua and other provinces' MotCua instances (issue 14, docs/peers.md).

- ``keys``: this instance's Ed25519 key pair, code and name; ``signing``: RFC 9421 signatures, RFC 9530 digests;
- ``registry``: the peers (``integrations.models.Peer``), their agencies' local stand-ins (``PeerAgency``) and the
  steps of procedures they do (``PeerStep``, applied to every new plan by :func:`outgoing.route_steps`);
- ``outgoing``: the event hook that enqueues a ``send`` when a dossier comes to a peer's agency, a ``status`` for
  every event of a dossier received from a peer, and the outbox handler that POSTs them, signed;
- ``incoming``: a signed message received (``views.inbox``): checked, applied once, answered.
"""

SYSTEM = "peer"
INBOX_PATH = "/peers/inbox"
WELL_KNOWN_PATH = "/.well-known/motcua-peer"
