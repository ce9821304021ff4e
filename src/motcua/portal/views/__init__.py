"""The citizens' and the public's pages, one module per area (each parses the request, calls selectors and
services, and renders; every rule lives in the domain apps):

- :mod:`.catalog`: the public catalogue (procedures, agencies, QR codes), public tracking, health, blank forms;
- :mod:`.accounts`: sign-up, sign-in, contact verification, the account page;
- :mod:`.wizard`: the online submission wizard;
- :mod:`.mine`: the citizen's own dossiers and the data warehouse;
- :mod:`.feedback`: ratings, QR surveys, feedback and petitions;
- :mod:`.payments`: paying a dossier's fee, the receipt, the sandbox gateway;
- :mod:`.pending`: what the citizen's pages share (the values kept over an expired session).
"""
