"""Zalo as a channel to and from citizens (docs/zalo.md): the webhook of the province's official account (OA).

* :mod:`.signature`: the MAC Zalo puts on each event (``X-ZEvent-Signature``).
* :mod:`.incoming`: what an event does — a link code links the account, unfollowing unlinks it, a rating
  (``DG [dossier code] [1-5]``) rates a dossier, any other text becomes feedback; answers go back through
  ``notifications`` (the Zalo provider, ``notifications.zalo``).
* :mod:`.views` and :mod:`.urls`: ``POST /zalo/webhook``.
* :mod:`.simulator`: the OA and its followers as a separate HTTP process (``motcua zalo_sim``).
"""

WEBHOOK_PATH = "/zalo/webhook"
