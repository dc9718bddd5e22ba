# reactivation: PGXS build

EXTENSION = reactivation
MODULE_big = reactivation
OBJS = \
	src/reactivation.o \
	src/util.o \
	src/dayledger.o \
	src/textio.o \
	src/purchase_history.o \
	src/measures.o \
	src/engagement.o \
	src/engagement_measures.o \
	src/btyd_math.o \
	src/btyd_fit.o \
	src/btyd_parallel.o \
	src/btyd_model.o \
	src/btyd_fit_agg.o \
	src/btyd_score.o \
	src/btyd_simulate.o \
	src/scoring.o \
	src/segments.o \
	src/report_check.o \
	src/lifecycle.o \
	src/equality.o \
	src/campaigns.o \
	src/uplift.o \
	src/winback.o \
	src/sendtime.o \
	src/offers.o

DATA = $(wildcard sql/reactivation--*.sql) sql/reactivation--0.1.0.control

# pg_regress tests, in order (sql/<name>.sql, expected/<name>.out)
REGRESS = \
	btyd_fit_state \
	btyd_fit_merge \
	purchase_history \
	measures \
	asof \
	numeric_layout \
	io \
	merge \
	merge_state \
	timezone \
	bad_input \
	parallel \
	engagement \
	engagement_parallel \
	btyd_models \
	btyd_io \
	btyd_fit_large \
	btyd_fit_parallel \
	btyd_horizon \
	btyd_se \
	btyd_checks \
	btyd_mbgnbd \
	scores \
	segments \
	segment_labels \
	report_errors \
	lifecycle \
	equality \
	holdout \
	uplift \
	exact_aggregates \
	winback \
	occasions \
	sendtime \
	cohorts \
	offers \
	rfm_breaks_state

REGRESS_OPTS = --load-extension=reactivation

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild every object when a header
# changes (some helpers are inline in them).
$(OBJS): $(wildcard src/*.h)

# pgTAP tests (test/*.sql), run with pg_prove against a running server.
PG_PROVE ?= pg_prove
prove:
	$(PG_PROVE) --ext .sql test/

.PHONY: prove

# Release archive (PGXN): dist/reactivation-<default_version>.zip from the
# committed tree (git archive; .gitattributes leaves out what is not shipped).
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
dist:
	mkdir -p dist
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		--output dist/$(EXTENSION)-$(EXTVERSION).zip HEAD

.PHONY: dist
