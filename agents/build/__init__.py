"""The L2MAC build (`codeloop build`): a spec → a planned prompt program → a small
multi-file project, one instruction at a time, resumable from the registry in memory/."""
