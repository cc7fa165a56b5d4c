# The README's two commands: `make run` (the server) and `make test` (every test).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

.PHONY: run test build vet fmt bench sounds check-config clean-db

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

check-config: build
	bin/hotline check-config -c config/hotline.yaml

sounds: ## regenerate asterisk/sounds/uk from ivr/prompts/catalogue.yaml (espeak-ng + sox)
	scripts/gen-sounds.sh

clean-db: ## stop and delete the local development database
	scripts/pg.sh stop .data/pg; rm -rf .data/pg
