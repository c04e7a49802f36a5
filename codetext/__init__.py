"""Code as text: getting code out of model answers and sanitising it, shared by the agents
and the evaluation harness (neither imports the other for this)."""
