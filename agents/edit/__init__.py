"""The edit agent of the doors that work in a user's repository (chat, fix, implement):
whole-file edits from the model, the repository's tests in the sandbox, repair rounds
from the real failures, then one commit (`loop.py`); its prompts (`prompting.py`)."""
