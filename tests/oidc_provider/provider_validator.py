"""Claims like the national identity app's: name, email, phone and the citizen ID (``citizen_id``)."""

from __future__ import annotations

import json
import os
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

# per user name, extra claims given by the test that started the provider
EXTRA_CLAIMS: dict[str, dict[str, Any]] = {
    user["username"]: user.get("claims", {}) for user in json.loads(os.environ["PROVIDER_CONFIG"])["users"]
}


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "citizen_id": "profile", "phone_number": "profile",
                        "phone_number_verified": "profile"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims = {"name": user.get_full_name(), "email": user.email, "email_verified": True}
        claims.update(EXTRA_CLAIMS.get(user.username, {}))
        return claims
