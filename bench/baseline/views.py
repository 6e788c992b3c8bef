"""`POST /bench/baseline`: authenticate the bearer the way the product does, then one INSERT.

This is the floor a ticket create is compared against: the same DRF stack (authentication,
permission, throttle, JSON parser, renderer) with no product work beyond a single-row write into
`bench_baseline_row`, a table that only the benchmark creates (bench/create_throughput.py).
"""

from __future__ import annotations

from django.db import connection
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication
from accounts.permissions import IsAgent

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_baseline_row (
    id bigserial PRIMARY KEY,
    agent_id text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


class BaselineView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAgent]

    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_baseline_row (agent_id, subject, body) VALUES (%s, %s, %s) RETURNING id",
                [request.auth.agent.id, str(data.get("subject", "")), str(data.get("body", ""))],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)
