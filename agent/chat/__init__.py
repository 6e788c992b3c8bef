"""The Enrich Agent chat (SPEC §5): providers behind one interface, the turn service, post-open triage.

    service.chat_turn(principal=…, session_id=…, message=…, base_url=…) → TurnResult

Providers only decide *what to say and which tools to call*; the turn service stores messages,
runs tools through the shared registry (`agent.tools`) and mirrors triage into tickets.
"""
