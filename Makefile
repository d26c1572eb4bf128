# Heed: the two commands are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/heed
CLICKHOUSE := deploy/clickhouse.sh
# Tests use the private ClickHouse; each test package makes its own heed_test* databases.
export HEED_TEST_CLICKHOUSE_URL ?= clickhouse://127.0.0.1:19000

.PHONY: axe bench bench-live bench-reports chromium compat compat-lib faulttest fuzz run test test-fast build clickhouse clickhouse-stop stop vet fmt-check clean

## run: start the private ClickHouse (installing it if missing), migrate, seed the demo survey, serve on :8080
run: clickhouse build
	./$(BIN) serve --migrate --dev --demo

## test: every test, against the real private ClickHouse and Debian's headless Chromium
test: clickhouse chromium axe fmt-check vet
	$(GO) test -count=1 ./...

## axe: the axe-core accessibility checker the browser tests inject into every page they check,
## from the npm registry (make test fetches it once)
AXE_VERSION := 4.10.3
AXE_JS := .data/axe/$(AXE_VERSION)/package/axe.min.js
export HEED_AXE_JS ?= $(CURDIR)/$(AXE_JS)
axe: $(AXE_JS)
$(AXE_JS):
	mkdir -p .data/axe/$(AXE_VERSION)
	cd .data/axe/$(AXE_VERSION) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz && rm -f axe-core-$(AXE_VERSION).tgz

## test-fast: the fast tier, no ClickHouse and no browser: handlers, validation, config,
## alerts, widget assets on the in-memory store (go test -short skips the storage tests)
test-fast: fmt-check vet
	$(GO) test -short -count=1 ./...

## fuzz: run each fuzz target for FUZZTIME (make fuzz FUZZTIME=10s), one after another; no ClickHouse.
## go test ./... (make test, make test-fast) already runs every target's seeds. A failure leaves its
## input in PKG/testdata/fuzz/NAME/: fix the code and commit the input as a seed. Execs per target
## are summed up at the end (logs in .data/fuzz/).
FUZZTIME ?= 60s
# Minimising each new input may take up to 60 s by default, which stalls a one-minute run.
FUZZMINIMIZETIME ?= 10s
FUZZ_TARGETS := \
	emails:FuzzVerify \
	emails:FuzzTokenVerify \
	emails:FuzzTokenRoundTrip \
	analytics:FuzzResponseValidate \
	analytics:FuzzNormalizeContacts \
	analytics:FuzzImportContactsCSV \
	server:FuzzCreateResponse \
	server:FuzzCSVRow \
	server:FuzzSendGridWebhook \
	server:FuzzAuthenticate \
	server/cmd/heed:FuzzImportAnswers \
	server/cmd/heed:FuzzImportChurn
fuzz:
	@mkdir -p .data/fuzz; : > .data/fuzz/summary.txt; \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name (./$$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./$$pkg 2>&1 | tee .data/fuzz/$$name.log; \
		if [ $${PIPESTATUS[0]} -ne 0 ]; then echo "$$name failed: its input is in ./$$pkg/testdata/fuzz/$$name/"; exit 1; fi; \
		line=$$(grep -o 'elapsed: [^,]*, execs: [0-9]*' .data/fuzz/$$name.log | tail -1); \
		echo "$$name ./$$pkg: $${line:-no executions reported (see .data/fuzz/$$name.log)}" >> .data/fuzz/summary.txt; \
	done; echo "== fuzz summary"; cat .data/fuzz/summary.txt

## faulttest: kill -9 under load, ClickHouse down for 15 s, torn spool tail (real binary, real ClickHouse)
faulttest: clickhouse
	$(GO) test -tags fault -count=1 -v -run Fault ./server/cmd/heed/

## compat: every named statement (with its samples) and every migration on current ClickHouse:
## chDB, from the npm registry's @chdb/lib-linux-x64-gnu, loaded in process (make test runs the
## same samples on the private 18.16)
CHDB_VERSION := 26.7.3-stable.1
CHDB_LIB := .data/chdb/$(CHDB_VERSION)/package/libchdb.so
compat: compat-lib
	HEED_CHDB_LIB=$(CURDIR)/$(CHDB_LIB) $(GO) test -tags compat -count=1 -v -run Compat ./analytics/clickhouse

compat-lib: $(CHDB_LIB)
$(CHDB_LIB):
	mkdir -p .data/chdb/$(CHDB_VERSION)
	cd .data/chdb/$(CHDB_VERSION) && npm pack --silent @chdb/lib-linux-x64-gnu@$(CHDB_VERSION) >/dev/null && tar xzf chdb-lib-linux-x64-gnu-$(CHDB_VERSION).tgz && rm -f chdb-lib-linux-x64-gnu-$(CHDB_VERSION).tgz

build:
	$(GO) build -o $(BIN) ./server/cmd/heed

## clickhouse: start (or reuse) the private ClickHouse on 127.0.0.1:19000
clickhouse:
	bash $(CLICKHOUSE) start

## chromium: install Debian's Chromium for the browser tests when it is missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

## stop: stop the private ClickHouse
stop clickhouse-stop:
	bash $(CLICKHOUSE) stop

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin

## bench: load Heed, a bare Echo ceiling and a naive INSERT-per-request server; print the table;
## then bench-reports and bench-live
bench: clickhouse build
	$(GO) build -o bin/heedbench ./server/cmd/heedbench
	./bin/heedbench -heed $(BIN)
	$(MAKE) bench-reports
	$(MAKE) bench-live

## bench-reports: surveys of 1 M and 10 M responses over two years; every request the dashboard
## makes and both exports, Heed vs the floor query, on 18.16 and (when make compat-lib fetched it) chDB
bench-reports: clickhouse build
	$(GO) build -o bin/heedbench ./server/cmd/heedbench
	./bin/heedbench reports -heed $(BIN) $(BENCH_REPORTS_FLAGS)

## bench-live: reports of the largest survey vs their floor while 1,000 answers/s arrive (200 surveys,
## 6 M answers; then 10,000 surveys, 10 M): ratios during the load, settle time, background queries
## per minute, rows per report (BENCH_LIVE_FLAGS=-scale 0.02 for a quick run)
bench-live: clickhouse build
	$(GO) build -o bin/heedbench ./server/cmd/heedbench
	./bin/heedbench live -heed $(BIN) $(BENCH_LIVE_FLAGS)
