# SignalCraft — `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export JACK_NO_START_SERVER := 1

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
CONFIG   ?=
# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a clean run with
# "context deadline exceeded" when a duration ends on a loaded machine (go.dev/issue/75804,
# fixed in Go 1.27). 500000 inputs take 5-15 s per target here.
FUZZTIME ?= 500000x
BENCHTIME ?= 1s

.PHONY: help deps test-deps build desktop run test fuzz bench vet clean deb deb-test

help: ## Show this help (colours only on a terminal)
	@if [ -t 1 ]; then c=$$'\033[36m' r=$$'\033[0m'; else c= r=; fi; \
	awk -v c="$$c" -v r="$$r" 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %s%-10s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)

deps: ## Install missing system packages needed to build and run (apt-get, as root or via sudo)
	@installer/dev-deps.sh run

test-deps: ## Install missing system packages needed by the tests, and versitygw (S3 test server)
	@installer/dev-deps.sh test
	@installer/s3-test-server.sh

build: deps ## Build the daemon (signalcraftd) and the TUI (signalcraft) into bin/
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signalcraftd ./appliance/cmd/signalcraftd
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signalcraft ./tui/cmd/signalcraft

desktop: deps ## Build the Fyne desktop app (signalcraft-desktop) into bin/ (first build ~5 min)
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signalcraft-desktop ./gui/cmd/signalcraft-desktop

run: build ## Start the daemon and open the TUI on it (the demo unless CONFIG=file); q quits both
	@installer/run.sh $(CONFIG)

vet: ## go vet every package
	$(GO) vet ./...

test: test-deps vet ## Run every test, including real PortAudio/ALSA capture, then a short fuzz run
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz

fuzz: ## Fuzz the WAV and MAT decoders briefly (FUZZTIME=500000x inputs, or a duration)
	$(GO) test -run='^$$' -fuzz='^FuzzReader$$' -fuzztime=$(FUZZTIME) ./core/wav
	$(GO) test -run='^$$' -fuzz='^FuzzReadFile$$' -fuzztime=$(FUZZTIME) ./core/matfile

bench: deps ## Run the benchmarks recorded in docs/BENCHMARKS.md
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=3 ./core/... ./appliance/... ./tui/... ./gui/... | tee bench.out

# Packages: stripped PIE binaries with full RELRO (lintian's hardening checks), built into
# $(DIST)/stage and packed by installer/cmd/mkdeb (nfpm) with the commit's time as the date.
DIST        ?= dist
DEB_GOFLAGS := -trimpath -buildmode=pie
DEB_LDFLAGS := -s -w -X main.version=$(VERSION) -linkmode=external -extldflags=-Wl,-z,relro,-z,now

deb: deps ## Build the packages signalcraft and signalcraft-desktop (.deb) into dist/ (DIST=dir)
	@mkdir -p $(DIST)/stage
	$(GO) build $(DEB_GOFLAGS) -ldflags '$(DEB_LDFLAGS)' -o $(DIST)/stage/signalcraftd ./appliance/cmd/signalcraftd
	$(GO) build $(DEB_GOFLAGS) -ldflags '$(DEB_LDFLAGS)' -o $(DIST)/stage/signalcraft ./tui/cmd/signalcraft
	$(GO) build $(DEB_GOFLAGS) -ldflags '$(DEB_LDFLAGS)' -o $(DIST)/stage/signalcraft-desktop ./gui/cmd/signalcraft-desktop
	$(GO) run ./installer/cmd/mkdeb -version '$(VERSION)' -stage $(DIST)/stage -out $(DIST) \
		-date "$$(git log -1 --format=%ct 2>/dev/null || date +%s)"

deb-test: test-deps ## As root: build the packages, lint them, install, check, remove and purge them
	$(GO) test -count=1 -v -timeout 20m ./installer/...

clean: ## Remove build output and the demo's data
	rm -rf $(BIN) .demo bench.out dist
