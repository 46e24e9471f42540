"""seedance for AI agents: the library's calls as tools of an MCP server over stdio
(`seedance mcp`, the `mcp` extra).

- `tools`: each tool's name, words and parameters (from `seedance.domain.params`, the same
  definitions the command line builds its options from), and their input schemas;
- `calls`: what every call works with (settings, progress, a client, errors as replies);
  `videos`, `storyboards` and `lookups`: what each tool does, a thin call into
  `seedance.Client` in a worker thread (`handlers` says which); `turns`: a long run's time
  limit;
- `replies`: what goes back to the agent: redacted task documents, errors as facts with
  next steps worded as tool calls;
- `policy`: the money rules for a create that names no cap;
- `server`: the official MCP SDK's low-level server around them (the only module that
  imports the SDK, and only `seedance mcp` imports it).
"""
