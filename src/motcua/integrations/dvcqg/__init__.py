"""The national public service portal (Cổng Dịch vụ công quốc gia, DVCQG) and the citizens' national document
store behind it (issue 14, docs/national-portal.md).

* :mod:`.codes`: our codes in the portal's (status 1–10, channel, result delivery, applicant kind, procedure,
  unit), each default overridable by a ``CodeMapping`` row of system ``portal``.
* :mod:`.packet`: the dossier packet and its progress rows, as the portal wants them.
* :mod:`.client`: the portal's API through the gateway (OAuth2 client credentials, one kept-alive connection).
* :mod:`.sync`: the event hook that writes one outbox message per event, and the handlers that deliver them
  (``portal``: add-then-update and progress; ``store``: results pushed to the citizen's document store).
* :mod:`.store`: a citizen's documents fetched from the national store.
* :mod:`.simulator`: the portal as a separate HTTP process (``motcua portal_sim``) for the demo and the tests.
"""
