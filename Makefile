# The two commands (see README): `make run` and `make test`. Both set everything up first.
.PHONY: run test setup

run:
	scripts/setup.sh
	.venv/bin/codeloop solve --problem humaneval:HumanEval/0

test:
	scripts/setup.sh --tests
	.venv/bin/ruff check .
	.venv/bin/python -m pytest

setup:
	scripts/setup.sh
