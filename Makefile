# The README's two commands: `make run` (the server) and `make test` (every test).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

.PHONY: run test build vet fmt bench fuzz api-fuzz-run sounds check-config clean-db

run: ## run the server with config/hotline.yaml (starts a local PostgreSQL if needed)
	scripts/run.sh

test: ## go vet and every test with -race, against a throwaway PostgreSQL
	scripts/test.sh

build:
	mkdir -p bin && go build -o bin/hotline ./cmd/hotline

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench: ## every benchmark, without the race detector, against a throwaway PostgreSQL; each prints its figures
	scripts/test.sh -run '^$$' -bench . -race=false

# The fuzz targets (their corpora in testdata/fuzz run as ordinary tests in
# `make test`), each for FUZZTIME; a failing input is saved to its
# testdata/fuzz for `go test` to replay.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./internal/api:FuzzRouter ./appeals/httpapi:FuzzAppealsRequestBodies \
	./telephony/queue/httpapi:FuzzQueueRequestBodies ./telephony/escalation/httpapi:FuzzEscalationRequestBodies \
	./telephony/schedule/httpapi:FuzzScheduleRequestBodies
fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} $${t##*:}"; \
		go test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

# REQUESTS random requests over every documented route and role, with the
# database up and then stopped, against the real server (a private
# PostgreSQL); prints the status counts of each run.
REQUESTS ?= 10000
api-fuzz-run: ## the API under attack: REQUESTS (default 10000) random requests, database up and stopped
	go test -count=1 -run '^TestTheAPIUnderAttackAndUnderFaults$$' -v ./cmd/hotline -api-requests $(REQUESTS)

check-config: build
	bin/hotline check-config -c config/hotline.yaml

sounds: ## regenerate asterisk/sounds/uk from ivr/prompts/catalogue.yaml (espeak-ng + sox)
	scripts/gen-sounds.sh

clean-db: ## stop and delete the local development database
	scripts/pg.sh stop .data/pg; rm -rf .data/pg
