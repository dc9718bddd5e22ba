/*
 * engagement.h
 *		Structures and prototypes of the email engagement family
 *		(engagement_history type, aggregates and measures).
 */
#ifndef ENGAGEMENT_H
#define ENGAGEMENT_H

#include "reactivation.h"

/*
 * Event types.  The codes are internal (stored values, the binary format);
 * the SQL enum email_event has the same labels and is mapped by label, never
 * by its sort order, so a label added to the enum cannot shift stored data.
 */
typedef enum EmailEvent
{
	EE_SENT = 0,
	EE_DELIVERED,
	EE_OPEN,
	EE_CLICK,
	EE_HARD_BOUNCE,
	EE_SOFT_BOUNCE,
	EE_UNSUBSCRIBE,
	EE_COMPLAINT
} EmailEvent;

#define EE_NTYPES			8
#define EE_UNKNOWN			(-1)

/* Per event type: how many, the first and the latest time (0 when none). */
typedef struct EhTypeStat
{
	int64		count;
	int64		first_ts;
	int64		last_ts;
} EhTypeStat;

typedef struct EhSummary
{
	EhTypeStat	t[EE_NTYPES];
} EhSummary;

/*
 * EhDay: one UTC calendar day (timestamp: wall-clock day; date: that day)
 * on which the subscriber was sent, opened or clicked something, with the
 * number of each.
 *
 * Why per-day counts: "sends since the last open" must be exact whatever
 * the order of the input rows and however the rows are split between
 * parallel workers or stored states.  A running counter is not (a send seen
 * before an earlier open would be counted), and keeping every send time costs
 * 8 bytes a send.  Counts per day are a sufficient statistic for every
 * as-of measure at day resolution: sends, opens, clicks, distinct open and
 * click days, first and last day of each, and sends after the last open or
 * click day, all up to any as_of.  They merge by adding counts of equal
 * days, which is associative and commutative, so merging is exact.  The
 * price is that an open and a send on the same day are not ordered: a send
 * on the day of the last open counts as answered (it is usually the mail
 * that was opened).  A subscriber with mail on 15 days costs 240 bytes of
 * days on top of the 208-byte header and summary.
 */
typedef struct EhDay
{
	int32		day;
	int32		sent;
	int32		open;
	int32		click;
} EhDay;

/*
 * EngagementHistory: the on-disk (varlena) form of engagement_history.
 *
 * Invariants, checked by eh_validate() (engagement.c) on every value read
 * from outside:
 *	version; at least one event; per type count >= 0, with count = 0 both
 *	times are 0, otherwise both finite and first_ts <= last_ts (equal when
 *	count = 1); days strictly ascending, in range, each with a positive
 *	count, no negative count; the day counts sum to the sent/open/click
 *	totals; the first and last day with a send (open, click) are the days of
 *	first_ts and last_ts of that type.
 */
typedef struct EngagementHistory
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* EH_VERSION */
	uint8		flags;			/* reserved, 0 */
	uint16		reserved;		/* 0 */
	int32		ndays;			/* entries of days[] */
	int32		reserved2;		/* 0; aligns s */
	EhSummary	s;
	EhDay		days[FLEXIBLE_ARRAY_MEMBER];
} EngagementHistory;

#define EH_VERSION			1
#define EH_HEADER_SIZE		offsetof(EngagementHistory, days)
#define EH_SIZE(n)			(EH_HEADER_SIZE + sizeof(EhDay) * (Size) (n))
#define EH_MAX_DAYS			((int32) 50000000)

#define DatumGetEngagementHistoryP(X) ((EngagementHistory *) PG_DETOAST_DATUM(X))
#define PG_GETARG_ENGAGEMENT_HISTORY_P(n) DatumGetEngagementHistoryP(PG_GETARG_DATUM(n))

/* engagement.c */
extern const char *const ee_names[EE_NTYPES];
extern int	ee_enum_code(FunctionCallInfo fcinfo, Oid value);
extern int32 eh_days_until(const EngagementHistory *eh, int32 as_of_day);

#endif							/* ENGAGEMENT_H */
