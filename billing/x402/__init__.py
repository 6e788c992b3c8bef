"""x402 v2 payments: `gateway` (the only facilitator client) and the local facilitator (`chain`, `facilitator_app`)."""
