"""Teach drf-spectacular our bearer authentication (one security scheme for every route)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "http", "scheme": "bearer",
                "description": "Admin bearer 411_…, usage key 411k_… or staff token 411s_…"}
