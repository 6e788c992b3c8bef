"""The tool registry (`agent.tools`) served over MCP: streamable HTTP at /mcp and stdio.

`server.build_server()` adapts the registry to an MCP server (the SDK's low-level `Server`, so
our JSON schemas go out verbatim); `http.McpEndpoint` serves it next to Django with bearer auth.
"""
