.PHONY: run test

run:
	scripts/dev.sh

test:
	scripts/test.sh
